"""Point-in-time feature tables (Silver) that back the Feast feature views."""
