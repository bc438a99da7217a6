"""Feast integration: an embedded offline store that reads Delta tables through delta-rs and DuckDB."""
