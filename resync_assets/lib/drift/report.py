"""`drift_reports`: read the warehouse, run the checks of `monitor`, save HTML, write the summary."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from resync_assets.lib.forecast.pipeline import DDL, Outcome, _read, replace_table
from resync_assets.lib.warehouse import read_only, table_exists, writer

DRIFT_DIR = Path("data/reports/drift")


def run_drift(path, config=None, *, html_dir: Path | None = None, report_date: date | None = None) -> Outcome:
    """`drift_reports` for the last complete day (rows of earlier report days are kept), HTML per
    check under `html_dir/<date>/`."""
    from resync_assets.lib.drift.monitor import (
        DRIFT_COLUMNS,
        DriftConfig,
        load_inputs,
        report_window,
        run_checks,
        save_html,
        summary_rows,
    )

    cfg = config or DriftConfig()
    html_dir = Path(html_dir or DRIFT_DIR)
    with read_only(path) as con:
        if con is None or not table_exists(con, "marts", "fct_job_runs"):
            rows = pd.DataFrame(columns=DRIFT_COLUMNS)
            day = None
        else:
            last = con.execute("select max(activity_date) from marts.fct_job_runs").fetchall()[0][0]
            day = report_date or (last - pd.Timedelta(days=1) if last else None)
            day = pd.Timestamp(day).date() if day is not None else None
            data = load_inputs(con, *report_window(cfg, day)) if day else {}
            old = _read(con, "drift_reports")
    now = datetime.now(UTC)
    if day is None:
        return Outcome(rows={"drift_reports": 0}, note="no job runs yet")
    results = run_checks(data, day, cfg)
    folder = save_html(results, html_dir, day)
    rows = summary_rows(results, day, folder, now)
    if len(old):
        old = old[pd.to_datetime(old["report_date"]).dt.date != day]
        rows = pd.concat([old[DRIFT_COLUMNS], rows], ignore_index=True)
    with writer(path, what="drift_reports") as con:
        replace_table(con, "drift_reports", rows, DDL["drift_reports"])
    today = rows[pd.to_datetime(rows["report_date"]).dt.date == day]
    return Outcome(
        rows={"drift_reports": len(rows)},
        metadata={
            "report_date": str(day),
            "html_dir": str(folder) if folder else None,
            "drifted_checks": today[today["drift_detected"]]["check_name"].tolist(),
            "scores": {r.check_name: json.loads(r.details) for r in today.itertuples(index=False)},
        },
    )
