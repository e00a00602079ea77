"""Drift monitor: reference window vs current window, per check, with Evidently 0.7.

Checks (one row each per report day):
* `job_duration`: successful runs' log duration relative to the same job's median on the same kind of
  day in the reference (weekday, or month-end for the last two days of a month), so a change of the
  job mix or the calendar is not drift but every job running 30 % longer is. Evidently `ValueDrift`,
  Wasserstein distance (normed by the reference spread), drift at ≥ `duration_threshold`.
* `status_mix`, `return_code_mix`: the common status / return code of finished runs (Jensen-Shannon
  distance, drift at ≥ `mix_threshold`).
* `template_mix`: the template of each failed run's first error line (`analytics.joblog_failure_lines`),
  each (job, template) counted once per window (reruns and incidents repeat one template).
Categorical checks drift only beyond the 99th percentile of the distance between two samples of the
windows' sizes drawn from the reference mix (`bootstrap_threshold`): sparse windows stray by chance;
the template mix also only beyond the largest distance its own reference windows showed
(`history_threshold`: failure modes come in bursts).
* `analysis_quality`: incident-analysis confidence (Wasserstein) and recorded resolution outcomes.
Reference: the `reference_days` days ending `gap_days` before the report day. Current: the report day
for durations and status mixes; the last `sparse_current_days` days for the sparse checks (templates,
analyses), which are skipped (not drift) below `min_rows` rows.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

CHECKS = ("job_duration", "status_mix", "return_code_mix", "template_mix", "analysis_quality")
DRIFT_COLUMNS = [
    "report_date",
    "check_name",
    "drift_detected",
    "drift_share",
    "details",
    "html_path",
    "generated_at",
]


@dataclass(frozen=True)
class DriftConfig:
    """Windows and thresholds."""

    reference_days: int = 56
    gap_days: int = 1
    sparse_current_days: int = 14
    duration_threshold: float = 0.3
    mix_threshold: float = 0.15
    min_rows: int = 30
    min_reference_runs: int = 3


def month_end(days: pd.Series) -> pd.Series:
    """True on the last two days of a month."""
    d = pd.to_datetime(days)
    return (d + pd.Timedelta(days=2)).dt.month != d.dt.month


def day_type(days: pd.Series) -> pd.Series:
    """'me' on month-end days, else the weekday number as text."""
    d = pd.to_datetime(days)
    return np.where(month_end(d), "me", d.dt.dayofweek.astype(str))


def relative_durations(ref: pd.DataFrame, cur: pd.DataFrame, min_ref: int = 3) -> tuple[pd.Series, pd.Series]:
    """Log duration relative to what the reference expects for the job on that day, for both windows.

    Expected = the job's median on the same weekday (month-end days left out) plus, on month-end
    days, the job's median month-end excess. Reference runs are scored leave-one-out (their own
    value is not in their median), so both windows are out-of-sample alike. Inputs: job_key, day,
    duration_seconds of successful runs."""
    frames = []
    for frame in (ref, cur):
        f = frame[frame["duration_seconds"] > 0][["job_key", "day", "duration_seconds"]].copy()
        d = pd.to_datetime(f["day"])
        f["wd"] = d.dt.dayofweek.to_numpy()
        f["me"] = month_end(d).to_numpy()
        f["logd"] = np.log(f["duration_seconds"].astype(float).to_numpy())
        frames.append(f.reset_index(drop=True))
    r, c = frames
    plain = r[~r["me"]]
    g = plain.groupby(["job_key", "wd"])["logd"]
    stats = pd.DataFrame({"m": g.median(), "n": g.size()})
    # Leave-one-out median of a reference run: the median of the others in its group.
    r = r.join(stats, on=["job_key", "wd"])
    keys = (plain["job_key"].astype(str) + "|" + plain["wd"].astype(str)).to_numpy()
    r.loc[~r["me"], "m_loo"] = loo_medians(keys, plain["logd"].to_numpy())
    r.loc[r["me"], "m_loo"] = r.loc[r["me"], "m"]
    excess = (
        (r[r["me"]]["logd"] - r[r["me"]]["m"]).groupby(r[r["me"]]["job_key"]).median().rename("me_excess")
    )
    r = r.join(excess, on="job_key")
    c = c.join(stats, on=["job_key", "wd"]).join(excess, on="job_key")
    r_ok = r["n"] >= min_ref
    c_ok = c["n"] >= min_ref - 1
    r_rel = r["logd"] - r["m_loo"] - np.where(r["me"], r["me_excess"], 0.0)
    c_rel = c["logd"] - c["m"] - np.where(c["me"], c["me_excess"], 0.0)
    return r_rel[r_ok].dropna(), c_rel[c_ok].dropna()


def loo_medians(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each value, the median of the other values with the same key (NaN when it is alone),
    vectorised: within a sorted group of m values, dropping rank i leaves a known middle."""
    order = np.lexsort((values, keys))
    k, v = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    m = np.repeat(sizes, sizes)
    base = np.repeat(starts, sizes)
    i = np.arange(len(k)) - base
    out = np.full(len(k), np.nan)

    def at(j):
        return v[np.clip(base + j, 0, len(v) - 1)]

    even = (m % 2 == 0) & (m >= 2)
    half = m // 2
    out[even] = np.where(i[even] < half[even], at(half)[even], at(half - 1)[even])
    odd = (m % 2 == 1) & (m >= 3)
    mid = (m - 1) // 2
    lo = (at(mid) + at(mid + 1)) / 2
    hi = (at(mid - 1) + at(mid)) / 2
    eq = (at(mid - 1) + at(mid + 1)) / 2
    out[odd] = np.where(i[odd] < mid[odd], lo[odd], np.where(i[odd] > mid[odd], hi[odd], eq[odd]))
    result = np.empty_like(out)
    result[order] = out
    return result


def _js(p: np.ndarray, q: np.ndarray) -> float:
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(p, q))


def bootstrap_threshold(
    ref: pd.Series, n_cur: int, q: float = 0.99, draws: int = 200, seed: int = 0
) -> float:
    """The `q` quantile of the Jensen-Shannon distance between two samples drawn from the reference
    mix, one of the reference's size and one of `n_cur` rows: how far windows of these sizes stray
    from each other by chance alone."""
    vals = ref.astype(str).to_numpy()
    cats, codes = np.unique(vals, return_inverse=True)
    p = np.bincount(codes, minlength=len(cats)) / len(codes)
    rng = np.random.default_rng(seed)
    cur = rng.multinomial(n_cur, p, size=draws) / max(n_cur, 1)
    ref_s = rng.multinomial(len(codes), p, size=draws) / len(codes)
    return float(np.quantile([_js(a, b) for a, b in zip(ref_s, cur, strict=True)], q))


def _evidently(ref: pd.DataFrame, cur: pd.DataFrame, specs: list[tuple[str, str, float, bool]]):
    """Run one Evidently report over `specs` (column, method, threshold, numerical); return (values, snapshot)."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    num = [c for c, _, _, is_num in specs if is_num]
    cat = [c for c, _, _, is_num in specs if not is_num]
    dd = DataDefinition(numerical_columns=num or None, categorical_columns=cat or None)
    report = Report([ValueDrift(column=c, method=m, threshold=t) for c, m, t, _ in specs])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = report.run(
            Dataset.from_pandas(cur, data_definition=dd), Dataset.from_pandas(ref, data_definition=dd)
        )
    values = [float(m["value"]) for m in snap.dict()["metrics"]]
    return values, snap


def _pad(a: pd.Series, b: pd.Series, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame({name: a.to_numpy()}), pd.DataFrame({name: b.to_numpy()})


@dataclass
class CheckResult:
    """One check of one report day."""

    check_name: str
    drift_detected: bool
    drift_share: float
    details: dict
    snapshot: object = None


def _one(
    name: str, parts: list[tuple[str, pd.Series, pd.Series, str, float, bool]], min_rows: int
) -> CheckResult:
    """A check made of one or more columns: drift when any column drifts; share = drifted / tested."""
    details: dict = {}
    tested = drifted = 0
    snaps = []
    for col, ref, cur, method, thr, is_num, *floor in parts:
        if len(ref) < min_rows or len(cur) < min(min_rows, 10 if is_num else min_rows):
            details[col] = {"skipped": f"too few rows (reference {len(ref)}, current {len(cur)})"}
            continue
        r, c = _pad(ref.astype(float if is_num else str), cur.astype(float if is_num else str), col)
        if not is_num:
            # A small current window strays from the reference by chance; drift must exceed that.
            thr = max(thr, round(bootstrap_threshold(ref, len(cur)), 4), *floor)
        (value,), snap = _evidently(r, c, [(col, method, thr, is_num)])
        hit = value >= thr
        tested += 1
        drifted += int(hit)
        snaps.append(snap)
        details[col] = {
            "method": method,
            "score": round(value, 4),
            "threshold": thr,
            "drift": bool(hit),
            "reference_rows": len(ref),
            "current_rows": len(cur),
        }
        if is_num:
            details[col]["current_median_shift"] = round(float(np.median(cur) - np.median(ref)), 4)
    share = drifted / tested if tested else 0.0
    return CheckResult(name, drifted > 0, share, details, snaps)


def run_checks(
    data: dict[str, pd.DataFrame], report_date: date, cfg: DriftConfig = DriftConfig()
) -> list[CheckResult]:
    """Every check for `report_date`. `data` holds frames with a `day` column:
    runs (job_key, day, duration_seconds, is_success, common_status, return_code, is_terminal),
    templates (day, template_id), analyses (day, confidence), resolutions (day, outcome)."""
    rd = pd.Timestamp(report_date)
    ref_end = rd - pd.Timedelta(days=cfg.gap_days)
    ref_start = ref_end - pd.Timedelta(days=cfg.reference_days)
    sparse_start = rd - pd.Timedelta(days=cfg.sparse_current_days - 1)

    def window(df: pd.DataFrame | None, start, end):
        if df is None or not len(df):
            return pd.DataFrame(columns=df.columns if df is not None else [])
        d = pd.to_datetime(df["day"])
        return df[(d >= start) & (d < end)]

    runs = data.get("runs")
    ref_runs = window(runs, ref_start, ref_end)
    cur_runs = window(runs, rd, rd + pd.Timedelta(days=1))
    results = []
    ok_ref = ref_runs[ref_runs["is_success"].astype(bool)] if len(ref_runs) else ref_runs
    ok_cur = cur_runs[cur_runs["is_success"].astype(bool)] if len(cur_runs) else cur_runs
    if len(ok_ref) and len(ok_cur):
        r_rel, c_rel = relative_durations(ok_ref, ok_cur, cfg.min_reference_runs)
    else:
        r_rel, c_rel = pd.Series(dtype=float), pd.Series(dtype=float)
    results.append(
        _one(
            "job_duration",
            [("log_relative_duration", r_rel, c_rel, "wasserstein", cfg.duration_threshold, True)],
            cfg.min_rows,
        )
    )
    fin_ref = ref_runs[ref_runs["is_terminal"].astype(bool)] if len(ref_runs) else ref_runs
    fin_cur = cur_runs[cur_runs["is_terminal"].astype(bool)] if len(cur_runs) else cur_runs
    results.append(
        _one(
            "status_mix",
            [
                (
                    "common_status",
                    fin_ref.get("common_status", pd.Series(dtype=str)).fillna("?"),
                    fin_cur.get("common_status", pd.Series(dtype=str)).fillna("?"),
                    "jensenshannon",
                    cfg.mix_threshold,
                    False,
                )
            ],
            cfg.min_rows,
        )
    )
    rc = "return_code"
    results.append(
        _one(
            "return_code_mix",
            [
                (
                    rc,
                    fin_ref.get(rc, pd.Series(dtype=object)).fillna(-1).astype("int64").astype(str)
                    if len(fin_ref)
                    else pd.Series(dtype=str),
                    fin_cur.get(rc, pd.Series(dtype=object)).fillna(-1).astype("int64").astype(str)
                    if len(fin_cur)
                    else pd.Series(dtype=str),
                    "jensenshannon",
                    cfg.mix_threshold,
                    False,
                )
            ],
            cfg.min_rows,
        )
    )
    tpl = data.get("templates")
    # Reruns and incidents repeat one template many times: a window counts each (job, template) once.
    t_ref_rows = window(tpl, ref_start, sparse_start - pd.Timedelta(days=cfg.gap_days))
    t_ref = _distinct(t_ref_rows, ["job", "template_id"])
    t_floor = (
        history_threshold(t_ref_rows, cfg.sparse_current_days, "template_id", ["job", "template_id"])
        if len(t_ref_rows) and {"job", "template_id"} <= set(t_ref_rows.columns)
        else 0.0
    )
    t_cur = _distinct(window(tpl, sparse_start, rd + pd.Timedelta(days=1)), ["job", "template_id"])
    results.append(
        _one(
            "template_mix",
            [
                (
                    "template_id",
                    t_ref.get("template_id", pd.Series(dtype=str)).astype(str),
                    t_cur.get("template_id", pd.Series(dtype=str)).astype(str),
                    "jensenshannon",
                    cfg.mix_threshold,
                    False,
                    t_floor,
                )
            ],
            cfg.min_rows,
        )
    )
    an = data.get("analyses")
    a_ref = window(an, ref_start, sparse_start - pd.Timedelta(days=cfg.gap_days))
    a_cur = window(an, sparse_start, rd + pd.Timedelta(days=1))
    res = data.get("resolutions")
    r_ref = window(res, ref_start, sparse_start - pd.Timedelta(days=cfg.gap_days))
    r_cur = window(res, sparse_start, rd + pd.Timedelta(days=1))
    results.append(
        _one(
            "analysis_quality",
            [
                (
                    "confidence",
                    a_ref.get("confidence", pd.Series(dtype=float)).astype(float),
                    a_cur.get("confidence", pd.Series(dtype=float)).astype(float),
                    "wasserstein",
                    cfg.duration_threshold,
                    True,
                ),
                (
                    "resolution_outcome",
                    r_ref.get("outcome", pd.Series(dtype=str)).astype(str),
                    r_cur.get("outcome", pd.Series(dtype=str)).astype(str),
                    "jensenshannon",
                    cfg.mix_threshold,
                    False,
                ),
            ],
            cfg.min_rows,
        )
    )
    return results


def history_threshold(
    ref: pd.DataFrame, window_days: int, col: str, dedupe: list[str], step: int = 3
) -> float:
    """How far windows of the reference strayed from the rest of it: the largest Jensen-Shannon
    distance between a `window_days` window (every `step` days) and the other reference rows. Failure
    modes come in bursts (an incident, a chronic problem), which samples drawn at random do not show;
    the current window must stray further than the reference's own windows did."""
    if ref is None or not len(ref):
        return 0.0
    days = pd.to_datetime(ref["day"])
    out = 0.0
    start, last = days.min(), days.max() - pd.Timedelta(days=window_days - 1)
    while start <= last:
        inside = (days >= start) & (days < start + pd.Timedelta(days=window_days))
        w, rest = _distinct(ref[inside], dedupe), _distinct(ref[~inside], dedupe)
        if len(w) >= 10 and len(rest) >= 10:
            cats = sorted(set(w[col].astype(str)) | set(rest[col].astype(str)))
            p = w[col].astype(str).value_counts().reindex(cats, fill_value=0).to_numpy(float)
            q = rest[col].astype(str).value_counts().reindex(cats, fill_value=0).to_numpy(float)
            out = max(out, _js(p / p.sum(), q / q.sum()))
        start += pd.Timedelta(days=step)
    return round(out, 4)


def _distinct(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    if df is None or not len(df) or not set(cols) <= set(df.columns):
        return df
    return df.drop_duplicates(cols)


def save_html(results: list[CheckResult], folder: Path, report_date: date) -> Path | None:
    """One HTML file per check with a report (`<folder>/<date>/<check>.html`); returns the folder."""
    out = Path(folder) / report_date.isoformat()
    wrote = False
    for r in results:
        for i, snap in enumerate(r.snapshot or []):
            out.mkdir(parents=True, exist_ok=True)
            snap.save_html(str(out / f"{r.check_name}{'' if i == 0 else f'_{i}'}.html"))
            wrote = True
    return out if wrote else None


def summary_rows(
    results: list[CheckResult], report_date: date, html_dir: Path | None, generated_at
) -> pd.DataFrame:
    """The `analytics.drift_reports` rows of one report day."""
    rows = []
    for r in results:
        html = None
        if html_dir is not None and r.snapshot:
            html = str(Path(html_dir) / f"{r.check_name}.html")
        rows.append(
            {
                "report_date": report_date,
                "check_name": r.check_name,
                "drift_detected": bool(r.drift_detected),
                "drift_share": float(r.drift_share),
                "details": json.dumps(r.details, sort_keys=True),
                "html_path": html,
                "generated_at": generated_at,
            }
        )
    return pd.DataFrame(rows, columns=DRIFT_COLUMNS)


def load_inputs(con, start: date, end: date) -> dict[str, pd.DataFrame]:
    """The frames `run_checks` needs, from the warehouse (tables that do not exist yet give empty frames)."""

    def exists(schema: str, table: str) -> bool:
        return bool(
            con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchall()[0][0]
        )

    out: dict[str, pd.DataFrame] = {}
    if exists("marts", "fct_job_runs"):
        out["runs"] = con.execute(
            "select job_key, activity_date as day, duration_seconds, is_success, is_terminal, common_status, "
            "return_code from marts.fct_job_runs where activity_date between ? and ?",
            [start, end],
        ).df()
    if exists("analytics", "joblog_failure_lines"):
        out["templates"] = con.execute(
            "select cast(min(ts) as date) as day, any_value(job_name) as job, "
            "arg_min(template_id, line_no) as template_id "
            "from analytics.joblog_failure_lines where is_error group by run_id "
            "having cast(min(ts) as date) between ? and ?",
            [start, end],
        ).df()
    if exists("analytics", "incident_analyses"):
        out["analyses"] = con.execute(
            "select cast(ended_at as date) as day, confidence from analytics.incident_analyses "
            "where cast(ended_at as date) between ? and ?",
            [start, end],
        ).df()
    if exists("analytics", "incident_resolutions"):
        out["resolutions"] = con.execute(
            "select cast(recorded_at as date) as day, outcome from analytics.incident_resolutions "
            "where cast(recorded_at as date) between ? and ?",
            [start, end],
        ).df()
    return out


def report_window(cfg: DriftConfig, report_date: date) -> tuple[date, date]:
    """The days `load_inputs` must read for `report_date`."""
    return report_date - timedelta(days=cfg.reference_days + cfg.gap_days + 1), report_date
