"""Capacity forecasting over the marts: which series, how they are read, and the two output tables.

Series (daily):
* `volume:ALL` and `volume:ws=<WS>`: runs per day (`marts.agg_job_runs__daily`, workstation from
  `marts.dim_jobs.last_workstation`);
* `runtime:job=<WS#/FOLDER/STREAM.JOB>`: median duration of the day's successful runs of the key jobs,
  the top ones by total runtime plus the steepest runtime trends (`dim_jobs`) above
  `trend_pct_per_week`;
* `host:<HOST>:cpu|memory|disk`: the day's p95 of the hourly p95 (`marts.agg_host_metrics__hourly`),
  days with fewer than `min_host_hours` hours of samples left out.

The last (partial) day of the job marts is left out. Everything here takes an open DuckDB connection
and returns pandas frames; writing is the asset's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from resync_assets.lib.forecast.forecaster import DEFAULT_LEVELS, forecast_batch
from resync_assets.lib.forecast.series import Freq, parse_freq

HORIZON_DAYS = 84
UNITS = {
    "job_volume": "runs",
    "job_runtime": "seconds",
    "host_cpu": "percent",
    "host_memory": "percent",
    "host_disk": "percent",
}
FORECAST_COLUMNS = [
    "series_id",
    "series_kind",
    "entity",
    "ds",
    "yhat",
    "yhat_lower_80",
    "yhat_upper_80",
    "yhat_lower_95",
    "yhat_upper_95",
    "model",
    "unit",
    "generated_at",
]
MODEL_COLUMNS = [
    "series_id",
    "series_kind",
    "entity",
    "model",
    "mase_model",
    "mase_baseline",
    "beats_baseline",
    "prophet_mase",
    "history_days",
    "coverage_80",
    "coverage_95",
    "backtest_origins",
    "box_cox_lambda",
    "last_observed",
    "last_value",
    "weekly_growth",
    "generated_at",
]


@dataclass(frozen=True)
class CapacityConfig:
    """What to forecast and how far."""

    horizon_days: int = HORIZON_DAYS
    top_jobs: int = 10
    trend_pct_per_week: float = 3.0
    trend_jobs: int = 10
    min_history_days: int = 14
    min_host_hours: int = 20
    use_prophet: bool = True


def _exists(con, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def load_host_series(con, config: CapacityConfig = CapacityConfig()) -> pd.DataFrame:
    """The `host:<HOST>:cpu|memory|disk` series (see the module docstring), long like `load_series`."""
    cols = ["series_id", "series_kind", "entity", "job_key", "ds", "y"]
    if not _exists(con, "marts", "agg_host_metrics__hourly"):
        return pd.DataFrame(columns=cols)
    out = (
        con.execute(
            """
            with daily as (
                select host, cast(metric_hour as date) as ds, count(*) as hours,
                       quantile_cont(p95_cpu_percent, 0.95) as cpu,
                       quantile_cont(p95_memory_percent, 0.95) as memory,
                       quantile_cont(p95_disk_percent, 0.95) as disk
                from marts.agg_host_metrics__hourly group by all
            )
            unpivot (select * exclude (hours) from daily where hours >= ?)
            on cpu, memory, disk into name resource value y
            """,
            [config.min_host_hours],
        )
        .df()
        .assign(
            series_id=lambda d: "host:" + d["host"] + ":" + d["resource"],
            series_kind=lambda d: "host_" + d["resource"],
            entity=lambda d: d["host"],
            job_key=None,
        )[cols]
    )
    out["ds"] = pd.to_datetime(out["ds"])
    out = out.dropna(subset=["y"])
    return out.sort_values(["series_id", "ds"]).reset_index(drop=True)


def load_series(con, config: CapacityConfig = CapacityConfig()) -> pd.DataFrame:
    """Every daily series to forecast, long: series_id, series_kind, entity, job_key, ds, y."""
    frames = []
    if _exists(con, "marts", "agg_job_runs__daily") and _exists(con, "marts", "dim_jobs"):
        last = con.execute("select max(activity_date) from marts.agg_job_runs__daily").fetchall()[0][0]
        if last is not None:
            frames.append(
                con.execute(
                    """
                    select 'volume:ALL' as series_id, 'job_volume' as series_kind, 'ALL' as entity,
                           null::varchar as job_key, activity_date as ds, sum(runs)::double as y
                    from marts.agg_job_runs__daily where activity_date < ?
                    group by activity_date
                    union all
                    select 'volume:ws=' || j.last_workstation, 'job_volume', j.last_workstation, null,
                           a.activity_date, sum(a.runs)::double
                    from marts.agg_job_runs__daily a join marts.dim_jobs j using (job_key)
                    where a.activity_date < ? and j.last_workstation is not null
                    group by j.last_workstation, a.activity_date
                    """,
                    [last, last],
                ).df()
            )
            if _exists(con, "marts", "fct_job_runs"):
                frames.append(
                    con.execute(
                        """
                        with key_jobs as (
                            select job_key,
                                   last_workstation || '#' || folder || job_stream_name || '.' || job_name as name
                            from marts.dim_jobs
                            where job_key in (
                                select job_key from marts.dim_jobs
                                where calendar_guess in ('daily', 'weekdays')
                                order by avg_duration_seconds * successes desc nulls last limit ?
                            )
                            or job_key in (
                                select job_key from marts.dim_jobs
                                where duration_trend_pct_per_week >= ? and calendar_guess in ('daily', 'weekdays')
                                order by duration_trend_pct_per_week desc limit ?
                            )
                        )
                        select 'runtime:job=' || k.name as series_id, 'job_runtime' as series_kind,
                               k.name as entity, r.job_key, r.activity_date as ds,
                               median(r.duration_seconds)::double as y
                        from marts.fct_job_runs r join key_jobs k using (job_key)
                        where r.is_success and r.duration_seconds is not null and r.activity_date < ?
                        group by all
                        """,
                        [config.top_jobs, config.trend_pct_per_week, config.trend_jobs, last],
                    ).df()
                )
    hosts = load_host_series(con, config)
    if len(hosts):
        frames.append(hosts)
    if not frames:
        return pd.DataFrame(columns=["series_id", "series_kind", "entity", "job_key", "ds", "y"])
    out = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[0]
    )
    out["ds"] = pd.to_datetime(out["ds"])
    out = out.dropna(subset=["y"])
    return out.sort_values(["series_id", "ds"]).reset_index(drop=True)


def _regular(group: pd.DataFrame, freq: Freq) -> pd.Series:
    s = group.set_index("ds")["y"].astype(float)
    grid = pd.date_range(s.index.min(), s.index.max(), freq=freq.step)
    # A missing day of a count series is a day without runs; elsewhere a gap is interpolated.
    if group["series_kind"].iloc[0] == "job_volume":
        return s.reindex(grid, fill_value=0.0)
    return s.reindex(grid).interpolate(limit_direction="both")


def forecast_series(
    long: pd.DataFrame,
    config: CapacityConfig = CapacityConfig(),
    *,
    generated_at: datetime | None = None,
    prophet_ids: set[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast every series of `long` (see `load_series`): (forecast rows, one model row per series)."""
    generated_at = generated_at or datetime.now(UTC)
    freq = parse_freq("D")
    levels = DEFAULT_LEVELS
    regular: dict[str, pd.Series] = {}
    meta: dict[str, tuple[str, str]] = {}
    for sid, g in long.groupby("series_id", sort=True):
        s = _regular(g, freq)
        if len(s) < max(config.min_history_days, 2 * freq.season):
            continue
        regular[sid] = s
        meta[sid] = (g["series_kind"].iloc[0], g["entity"].iloc[0])
    groups: dict[tuple, list[str]] = {}
    for sid, s in regular.items():
        groups.setdefault((s.index[0], len(s)), []).append(sid)
    fc_rows, model_rows = [], []
    for (start, n), sids in groups.items():
        Y = np.vstack([regular[s].to_numpy() for s in sids])
        ds = regular[sids[0]].index
        kinds = [meta[s][0] for s in sids]
        upper = np.array([100.0 if k.startswith("host_") else np.inf for k in kinds])
        use = prophet_ids if prophet_ids is not None else (set(sids) if config.use_prophet else set())
        batch = forecast_batch(
            Y,
            ds,
            freq,
            config.horizon_days,
            levels=levels,
            prophet_rows=[i for i, s in enumerate(sids) if s in use],
            lower_bound=0.0,
            upper_bound=upper,
        )
        future = pd.date_range(ds[-1] + freq.step, periods=config.horizon_days, freq=freq.step)
        for i, sid in enumerate(sids):
            kind, entity = meta[sid]
            frame = pd.DataFrame(
                {
                    "series_id": sid,
                    "series_kind": kind,
                    "entity": entity,
                    "ds": future.date,
                    "yhat": batch.yhat[i],
                    "yhat_lower_80": batch.lower[80][i],
                    "yhat_upper_80": batch.upper[80][i],
                    "yhat_lower_95": batch.lower[95][i],
                    "yhat_upper_95": batch.upper[95][i],
                    "model": batch.model[i],
                    "unit": UNITS[kind],
                    "generated_at": generated_at,
                }
            )
            fc_rows.append(frame)
            last_week = float(np.mean(Y[i, -7:]))
            next_weeks = batch.yhat[i][: min(28, config.horizon_days)]
            growth = (
                (float(np.mean(next_weeks[-7:])) - last_week) / (len(next_weeks) / 7)
                if len(next_weeks) >= 7
                else 0.0
            )
            model_rows.append(
                {
                    "series_id": sid,
                    "series_kind": kind,
                    "entity": entity,
                    "model": batch.model[i],
                    "mase_model": _f(batch.mase_model[i]),
                    "mase_baseline": _f(batch.mase_baseline[i]),
                    "beats_baseline": bool(
                        np.isfinite(batch.mase_model[i])
                        and np.isfinite(batch.mase_baseline[i])
                        and batch.mase_model[i] < batch.mase_baseline[i]
                    ),
                    "prophet_mase": _f(batch.prophet_mase[i]),
                    "history_days": int(n),
                    "coverage_80": _f(batch.coverage[80][i]),
                    "coverage_95": _f(batch.coverage[95][i]),
                    "backtest_origins": int(batch.origins),
                    # The scale the intervals were calibrated on (1: as is, 0: log; docs/forecasting.md).
                    "box_cox_lambda": _f(batch.box_cox_lambda[i]),
                    "last_observed": ds[-1].date(),
                    "last_value": last_week,
                    # Units per week over the next 4 weeks, relative to the last week's mean.
                    "weekly_growth": growth / last_week if last_week else None,
                    "generated_at": generated_at,
                }
            )
    forecasts = pd.concat(fc_rows, ignore_index=True) if fc_rows else pd.DataFrame(columns=FORECAST_COLUMNS)
    models = pd.DataFrame(model_rows, columns=MODEL_COLUMNS)
    return forecasts, models


def _f(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None
