"""Reference tables kept in the repository (FX rates)."""
