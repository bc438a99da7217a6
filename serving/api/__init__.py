"""FastAPI application: routes, dependencies, schemas, error mapping and metrics."""
