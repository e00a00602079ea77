"""Read the marts, compute, write `analytics.<table>`: one function per asset of `defs/forecast`. Each table is replaced whole per run (idempotent); reads and the write go through
`lib.warehouse` (one writer at a time)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from resync_assets.lib.warehouse import read_only, table_exists, writer

SCHEMA = "analytics"


@dataclass
class Outcome:
    """What a step wrote, for the asset's metadata."""

    rows: dict[str, int] = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    note: str | None = None


def replace_table(con, table: str, df: pd.DataFrame, ddl: str) -> None:
    """Create `analytics.<table>` with `ddl` columns if missing and replace its rows with `df`."""
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(f"create table if not exists {SCHEMA}.{table} ({ddl})")
    cols = [c.strip().split()[0] for c in ddl.split(",\n")]
    for col in ddl.split(",\n"):  # a table written by an older version lacks the newer columns
        con.execute(f"alter table {SCHEMA}.{table} add column if not exists {col.strip()}")
    con.register("_resync_df", df[cols] if len(df) else pd.DataFrame({c: [] for c in cols}))
    try:
        con.execute("begin")
        con.execute(f"delete from {SCHEMA}.{table}")
        if len(df):
            con.execute(
                f"insert into {SCHEMA}.{table} ({', '.join(cols)}) select {', '.join(cols)} from _resync_df"
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("_resync_df")


DDL = {
    "capacity_forecasts": """series_id varchar,
series_kind varchar,
entity varchar,
ds date,
yhat double,
yhat_lower_80 double,
yhat_upper_80 double,
yhat_lower_95 double,
yhat_upper_95 double,
model varchar,
unit varchar,
generated_at timestamptz""",
    "capacity_forecast_models": """series_id varchar,
series_kind varchar,
entity varchar,
model varchar,
mase_model double,
mase_baseline double,
beats_baseline boolean,
prophet_mase double,
history_days integer,
coverage_80 double,
coverage_95 double,
backtest_origins integer,
box_cox_lambda double,
last_observed date,
last_value double,
weekly_growth double,
generated_at timestamptz""",
    "capacity_threshold_eta": """host varchar,
resource varchar,
threshold double,
week_start date,
week integer,
prob_cross double,
eta_week_50 date,
eta_week_10 date,
weeks_to_50 integer,
weeks_to_10 integer,
eta_day_50 date,
already_over boolean,
generated_at timestamptz""",
    "capacity_recommendations": """priority varchar,
action varchar,
deadline date,
subject varchar,
kind varchar,
evidence varchar,
worded_by varchar,
generated_at timestamptz,
wording varchar,
wording_reason varchar""",
    "maintenance_alerts": """alert_id varchar,
job_key varchar,
job varchar,
host varchar,
kind varchar,
severity varchar,
detected_on date,
expected_cross date,
weekly_growth double,
related varchar,
message varchar,
evidence varchar,
generated_at timestamptz""",
    "drift_reports": """report_date date,
check_name varchar,
drift_detected boolean,
drift_share double,
details varchar,
html_path varchar,
generated_at timestamptz""",
}


def _read(con, table: str) -> pd.DataFrame:
    return (
        con.execute(f"select * from {SCHEMA}.{table}").df()
        if table_exists(con, SCHEMA, table)
        else pd.DataFrame()
    )


def run_capacity_forecasts(path, config=None, *, prophet: bool = True) -> Outcome:
    """`capacity_forecasts` and `capacity_forecast_models` from the marts."""
    from resync_assets.lib.forecast.capacity import CapacityConfig, forecast_series, load_series

    cfg = config or CapacityConfig(use_prophet=prophet)
    with read_only(path) as con:
        long = load_series(con, cfg) if con is not None else pd.DataFrame()
    now = datetime.now(UTC)
    if len(long):
        fc, models = forecast_series(long, cfg, generated_at=now)
    else:
        from resync_assets.lib.forecast.capacity import FORECAST_COLUMNS, MODEL_COLUMNS

        fc, models = pd.DataFrame(columns=FORECAST_COLUMNS), pd.DataFrame(columns=MODEL_COLUMNS)
    with writer(path, what="capacity_forecasts") as con:
        replace_table(con, "capacity_forecasts", fc, DDL["capacity_forecasts"])
        replace_table(con, "capacity_forecast_models", models, DDL["capacity_forecast_models"])
    by_model = models["model"].value_counts().to_dict() if len(models) else {}
    beats = int(models["beats_baseline"].sum()) if len(models) else 0
    return Outcome(
        rows={"capacity_forecasts": len(fc), "capacity_forecast_models": len(models)},
        metadata={
            "series": len(models),
            "models": by_model,
            "beats_baseline": beats,
            "median_coverage_95": float(models["coverage_95"].median()) if len(models) else None,
        },
        note=None if len(long) else "no mart data to forecast yet",
    )


def run_threshold_eta(path, config=None) -> Outcome:
    """`capacity_threshold_eta` from each host series' own trend (`marts.agg_host_metrics__hourly`),
    falling back to the host rows of `capacity_forecasts` for series too short for a trend."""
    from resync_assets.lib.forecast.capacity import load_host_series
    from resync_assets.lib.forecast.eta import ETA_COLUMNS, EtaConfig, eta_sentence, threshold_eta

    with read_only(path) as con:
        fc = _read(con, "capacity_forecasts") if con is not None else pd.DataFrame()
        models = _read(con, "capacity_forecast_models") if con is not None else pd.DataFrame()
        history = load_host_series(con) if con is not None else pd.DataFrame()
    eta = (
        threshold_eta(fc, models, config or EtaConfig(), history=history)
        if len(fc) or len(history)
        else pd.DataFrame(columns=ETA_COLUMNS)
    )
    with writer(path, what="capacity_threshold_eta") as con:
        replace_table(con, "capacity_threshold_eta", eta, DDL["capacity_threshold_eta"])
    soon = []
    if len(eta):
        first = eta[eta["week"] == 1]
        for r in first[first["weeks_to_50"].notna()].sort_values("weeks_to_50").itertuples(index=False):
            soon.append(eta_sentence(r.host, r.resource, r.threshold, int(r.weeks_to_50)))
    return Outcome(rows={"capacity_threshold_eta": len(eta)}, metadata={"crossings": soon[:10]})


def run_maintenance_alerts(path, config=None) -> Outcome:
    """`maintenance_alerts` from `marts.fct_job_runs`, the failure-mode clusters and the host forecasts."""
    from resync_assets.lib.forecast.alerts import (
        ALERT_COLUMNS,
        AlertConfig,
        JobMatrix,
        finish,
        job_alerts,
        link_hosts,
        load_job_daily,
        pattern_alerts,
    )

    cfg = config or AlertConfig()
    with read_only(path) as con:
        daily = load_job_daily(con) if con is not None else pd.DataFrame()
        clusters = _read(con, "joblog_pattern_clusters") if con is not None else pd.DataFrame()
        models = _read(con, "capacity_forecast_models") if con is not None else pd.DataFrame()
    now = datetime.now(UTC)
    if len(daily):
        mat = JobMatrix.from_daily(daily)
        alerts = job_alerts(mat, None, cfg)
        day = mat.days[-1].date()
        alerts = (
            pd.concat([alerts, pattern_alerts(clusters, day, cfg)], ignore_index=True)
            if len(clusters)
            else alerts
        )
        alerts = link_hosts(alerts, models, cfg)
        alerts = finish(alerts, now)
    else:
        alerts = pd.DataFrame(columns=ALERT_COLUMNS)
    with writer(path, what="maintenance_alerts") as con:
        replace_table(con, "maintenance_alerts", alerts, DDL["maintenance_alerts"])
    kinds = alerts["kind"].value_counts().to_dict() if len(alerts) else {}
    return Outcome(rows={"maintenance_alerts": len(alerts)}, metadata={"by_kind": kinds})


def run_recommendations(path, llm=None) -> Outcome:
    """`capacity_recommendations` from the ETA table, the forecasts and the alerts; `llm` (an
    `LlmAnalyst`), when given, words each recommendation (`lib/forecast/wording.py`), with the rule
    text kept on any failure. The endpoint is waited for with no warehouse lock held."""
    from resync_assets.lib.forecast.recommend import RECOMMENDATION_COLUMNS, recommendations
    from resync_assets.lib.forecast.wording import llm_wording

    with read_only(path) as con:
        eta = _read(con, "capacity_threshold_eta") if con is not None else pd.DataFrame()
        fc = _read(con, "capacity_forecasts") if con is not None else pd.DataFrame()
        alerts = _read(con, "maintenance_alerts") if con is not None else pd.DataFrame()
        drivers = pd.DataFrame()
        if con is not None and len(alerts):
            drivers = alerts[alerts["kind"] == "runtime_trend"][["host", "job", "weekly_growth"]].dropna()
    if len(fc) or len(alerts):
        recs = recommendations(eta, fc, alerts, drivers)
    else:
        recs = pd.DataFrame(columns=RECOMMENDATION_COLUMNS)
    recs, wording = llm_wording(recs, llm)
    with writer(path, what="capacity_recommendations") as con:
        replace_table(con, "capacity_recommendations", recs, DDL["capacity_recommendations"])
    prio = recs["priority"].value_counts().to_dict() if len(recs) else {}
    metadata = {"by_priority": prio}
    if wording:
        metadata["wording"] = wording
    return Outcome(rows={"capacity_recommendations": len(recs)}, metadata=metadata)
