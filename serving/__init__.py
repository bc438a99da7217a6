"""Online serving: the FastAPI prediction service (`sme-pulse serve`)."""
