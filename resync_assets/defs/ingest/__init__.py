"""Ingestion of the TWS REST API v2 into the `tws_raw` tables: assets, checks, the polling schedule."""
