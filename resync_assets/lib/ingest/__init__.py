"""Ingestion into the lakehouse: TWS plans, joblogs and host metrics -> DuckDB ``tws_raw`` + Parquet lake.

    from resync_assets.lib.ingest import IngestConfig, run_tws_ingest, run_host_metrics_ingest
    cfg = IngestConfig(warehouse_path=Path("data/warehouse.duckdb"), lake_dir=Path("data/lake"),
                       pipelines_dir=Path("data/pipelines"))
    report = run_tws_ingest(TwsSettings.from_env(), cfg)
    report.as_metadata()

Every writer holds the warehouse's write lock (``lib/warehouse``), so DuckDB sees one writer at a time.
"""

from resync_assets.lib.ingest.config import IngestConfig, IngestReport, TableStats
from resync_assets.lib.ingest.host_metrics import run_host_metrics_ingest
from resync_assets.lib.ingest.runner import IngestError, run_tws_ingest

__all__ = [
    "IngestConfig",
    "IngestError",
    "IngestReport",
    "TableStats",
    "run_host_metrics_ingest",
    "run_tws_ingest",
]
