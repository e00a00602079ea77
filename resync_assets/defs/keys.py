"""Names the domains share: every cross-domain asset key, and the warehouse writer pools.

Declared once here; assets, checks, sensors and jobs import them instead of spelling keys again.
Keys of assets that only their own module uses (the dbt models, named by dbt) stay with them.
"""

import dagster as dg

# DuckDB allows one writing process per database file: every asset that writes the warehouse takes
# a slot of this pool, limited to 1 in the instance's dagster.yaml (`concurrency.pools`). Readers
# (asset checks) do not take it: they open read-only connections, which wait for a writer of
# another process (`resync_assets.lib.warehouse.read_only`).
DUCKDB_WRITER_POOL = "duckdb_writer"
# The exception: assets that wait for an LLM endpoint (`incident_analyses`, the LLM wording of
# `capacity_recommendations`) between short writer-lock phases must not hold the writer pool while
# they wait; they take this pool (also limited to 1) instead, one such asset at a time.
LLM_WRITER_POOL = "llm_writer"

# The TWS tables one ingestion pass loads (`lib.ingest.source.TWS_TABLES`, in the UI's order).
TWS_TABLES = ("job_runs", "joblogs", "job_streams", "workstations", "engine_info")

JOB_RUNS = dg.AssetKey(["tws_raw", "job_runs"])
JOBLOGS = dg.AssetKey(["tws_raw", "joblogs"])
HOST_METRICS = dg.AssetKey(["tws_raw", "host_metrics"])
TWS_RAW_KEYS = tuple(dg.AssetKey(["tws_raw", table]) for table in TWS_TABLES)

JOBLOG_TEMPLATES = dg.AssetKey(["joblog_templates"])
JOBLOG_PATTERN_CLUSTERS = dg.AssetKey(["joblog_pattern_clusters"])
INCIDENT_ANALYSES = dg.AssetKey(["incident_analyses"])
INCIDENT_DELIVERIES = dg.AssetKey(["incident_deliveries"])

# The dbt marts other domains read (a dbt model's key is its name; dbt declares the models).
FCT_JOB_RUNS = dg.AssetKey(["fct_job_runs"])
DIM_JOBS = dg.AssetKey(["dim_jobs"])
AGG_JOB_RUNS_DAILY = dg.AssetKey(["agg_job_runs__daily"])
AGG_WORKLOAD_HOURLY = dg.AssetKey(["agg_workload__hourly"])
AGG_HOST_METRICS_HOURLY = dg.AssetKey(["agg_host_metrics__hourly"])
MART_WORKLOAD_VS_RESOURCES = dg.AssetKey(["mart_workload_vs_resources"])

# Capacity forecasting and drift (defs/forecast, defs/drift); the report reads these tables.
CAPACITY_FORECASTS = dg.AssetKey(["capacity_forecasts"])
CAPACITY_FORECAST_MODELS = dg.AssetKey(["capacity_forecast_models"])
CAPACITY_THRESHOLD_ETA = dg.AssetKey(["capacity_threshold_eta"])
CAPACITY_RECOMMENDATIONS = dg.AssetKey(["capacity_recommendations"])
MAINTENANCE_ALERTS = dg.AssetKey(["maintenance_alerts"])
DRIFT_REPORTS = dg.AssetKey(["drift_reports"])

# The weekly capacity report (defs/report).
WEEKLY_CAPACITY_REPORT = dg.AssetKey(["weekly_capacity_report"])

# resync's own health (defs/health): an external asset that carries the scheduled health check.
RESYNC_HEALTH = dg.AssetKey(["resync_health"])
