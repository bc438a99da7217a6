"""Gold for BI tools: the DuckDB publication and the static AR dashboard."""
