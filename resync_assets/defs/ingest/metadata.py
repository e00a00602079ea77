"""The ingestion report → materialization metadata mapping (ingest and metrics assets)."""

from __future__ import annotations

from typing import Any

import dagster as dg


def table_metadata(report: Any, table: str) -> dict[str, dg.MetadataValue]:
    """Materialization metadata of one raw table from an `IngestReport`: counts and timings only.

    The report carries no secrets, and only these numeric fields are copied, so the connection's
    credentials cannot reach the event log through metadata.
    """
    stats = report.table(table)
    metadata: dict[str, dg.MetadataValue] = {
        "rows_added": dg.MetadataValue.int(int(stats.rows_added)),
        "rows_updated": dg.MetadataValue.int(int(stats.rows_updated)),
        "rows_total": dg.MetadataValue.int(int(stats.rows_total)),
        "dagster/row_count": dg.MetadataValue.int(int(stats.rows_total)),
        "retries": dg.MetadataValue.int(int(report.retries)),
        "elapsed_seconds": dg.MetadataValue.float(round(float(report.elapsed_seconds), 3)),
    }
    if table == "joblogs":
        metadata["joblogs_fetched"] = dg.MetadataValue.int(int(report.joblogs_fetched))
        metadata["joblog_bytes"] = dg.MetadataValue.int(int(report.joblog_bytes))
    return metadata
