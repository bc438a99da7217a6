"""Prometheus metrics of the service, in a registry of its own (one per app: tests build several)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class ServiceMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "sme_pulse_requests_total",
            "HTTP requests by route and status.",
            ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sme_pulse_request_seconds",
            "Request latency by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter("sme_pulse_predictions_total", "Invoices predicted.", registry=self.registry)
        self.cold_starts = Counter(
            "sme_pulse_cold_starts_total", "Predictions for customers without online history.", registry=self.registry
        )
        self.errors = Counter("sme_pulse_errors_total", "Errors by type.", ["type"], registry=self.registry)
        self.model_version = Gauge(
            "sme_pulse_model_version", "Registered version of the model being served.", registry=self.registry
        )
