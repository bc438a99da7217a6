"""SME Pulse: a lakehouse and Feast feature store that predicts when SME customers pay their invoices."""

__version__ = "0.1.0"
