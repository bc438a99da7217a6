"""Online serving: the FastAPI prediction service (`sme-pulse serve`)."""

# prometheus_client picks its value store when first imported; Feast's metrics module sets
# PROMETHEUS_MULTIPROC_DIR on import, which would switch the service's own metrics to multiprocess files.
import prometheus_client  # noqa: F401
