"""The end-to-end demo (`resync demo`, `make demo`): embedded simulator → every asset through Dagster.

`main()` starts the simulator on a free loopback port, has the simulator's writer put its host
history into a host-metrics folder (in a child process, meanwhile), points the resources at both
(environment variables of this process, resolved by Dagster when each run starts) and materializes
the whole graph with its checks on the instance in `DAGSTER_HOME` (default `.dagster_home`, so the
runs show in `make dev` afterwards): one run for the TWS tables, then one for host metrics and
everything downstream (dbt staging → marts, joblog patterns, incident analyses). It prints a summary
and leaves `data/warehouse.duckdb` for queries.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

DEMO_USER = "resync-demo"
# The demo's simulated "today" unless --end-date says otherwise: a fixed day, so the demo's figures
# (and the docs quoting them) do not depend on the day it runs; `--end-date today` follows the clock.
DEFAULT_END_DATE = dt.date(2026, 11, 30)
# The simulator's host history goes to its own folder, rewritten by each demo; the collector's
# folder (this host's samples) is kept.
COLLECTOR_DIR = Path("data/lake/host_metrics")
SIM_HOST_METRICS_DIR = Path("data/lake/sim_host_metrics")
WAREHOUSE = Path("data/warehouse.duckdb")
LAKE_DIR = Path("data/lake")
PIPELINES_DIR = Path("data/pipelines")
REPORTS_DIR = Path("data/reports")
# The analytics tables whose row counts the summary lists (those that exist).
RESULT_TABLES = (
    "incident_analyses", "capacity_forecasts", "capacity_threshold_eta", "capacity_recommendations",
    "maintenance_alerts", "drift_reports", "report_deliveries",
)  # fmt: skip
# The instance settings resync needs, one top-level section each: no telemetry, no "Join the Dagster
# community" modal over the UI on first open (`nux`), and the writer pool limited to one run step.
INSTANCE_SECTIONS = {
    "telemetry": "telemetry:\n  enabled: false\n",
    "nux": "nux:\n  enabled: false\n",
    "concurrency": "concurrency:\n  pools:\n    default_limit: 1\n",
}
INSTANCE_YAML = "".join(INSTANCE_SECTIONS.values())


def ensure_dagster_home(root: Path) -> Path:
    """`DAGSTER_HOME`, defaulting to `<root>/.dagster_home`, its dagster.yaml holding every section of
    `INSTANCE_SECTIONS` (an existing file keeps its settings and gains the sections it lacks)."""
    home = Path(os.environ.get("DAGSTER_HOME") or root / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    yaml = home / "dagster.yaml"
    if not yaml.exists():
        yaml.write_text(INSTANCE_YAML)
    else:
        text = yaml.read_text()
        present = {line.split(":", 1)[0] for line in text.splitlines() if line and not line[0].isspace()}
        missing = [section for name, section in INSTANCE_SECTIONS.items() if name not in present]
        if missing:
            yaml.write_text(text + ("" if not text or text.endswith("\n") else "\n") + "".join(missing))
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def reset_demo_data(root: Path) -> None:
    """Remove what a previous demo loaded, so the summary counts this run's world only."""
    for path in (root / WAREHOUSE, Path(str(root / WAREHOUSE) + ".wal")):
        path.unlink(missing_ok=True)
    for folder in (root / PIPELINES_DIR, root / LAKE_DIR / "tws_raw", root / SIM_HOST_METRICS_DIR):
        shutil.rmtree(folder, ignore_errors=True)


def write_simulator_host_history(workload, out_dir: Path) -> int:
    """Write the simulator's host history with its host-metrics writer; return the rows written."""
    import pyarrow.parquet as pq

    from resync_assets.sim.hostmetrics import write_host_metrics

    files = write_host_metrics(workload, out_dir)
    return sum(pq.read_metadata(f).num_rows for f in files)


def raw_assets_and_checks(defs):
    """The assets of group `tws_raw` defined here, the checks on them, and their keys."""
    import dagster as dg

    assets = [
        a for a in defs.assets
        if isinstance(a, dg.AssetsDefinition) and any(k.path[0] == "tws_raw" for k in a.keys)
    ]  # fmt: skip
    raw_keys = {k for a in assets for k in a.keys if k.path[0] == "tws_raw"}
    checks = [c for c in defs.asset_checks if {k.asset_key for k in c.check_keys} & raw_keys]
    return assets, checks, raw_keys


def summarize(warehouse: Path) -> dict:
    """Counts for the summary, read from the warehouse (read-only); a table not loaded counts 0."""
    from resync_assets.lib.warehouse import existing_tables, read_only

    with read_only(warehouse) as conn:
        tables = existing_tables(conn)

        def query(table: str, sql: str, default):
            qualified = table if "." in table else f"tws_raw.{table}"
            return conn.execute(sql).fetchall() if qualified in tables else default

        by_status = query(
            "job_runs",
            "select coalesce(common_status, '?'), count(*) from tws_raw.job_runs group by 1 order by 2 desc",
            [],
        )
        ((plans,),) = query("job_runs", "select count(distinct plan_id) from tws_raw.job_runs", [(0,)])
        ((joblogs, joblog_bytes),) = query(
            "joblogs", "select count(*), coalesce(sum(byte_size), 0) from tws_raw.joblogs", [(0, 0)]
        )
        # The simulated estate only (source 'simulator'): this machine's own samples (source
        # 'collector', one per host_metrics materialization) are counted apart.
        ((host_rows, hosts, local_rows),) = query(
            "host_metrics",
            "select count(*) filter (where source = 'simulator'), "
            "count(distinct host) filter (where source = 'simulator'), "
            "count(*) filter (where source is distinct from 'simulator') from tws_raw.host_metrics",
            [(0, 0, 0)],
        )
        ((fct_rows,),) = query("marts.fct_job_runs", "select count(*) from marts.fct_job_runs", [(0,)])
        ((templates,),) = query(
            "analytics.joblog_templates", "select count(*) from analytics.joblog_templates", [(0,)]
        )
        top_clusters = query(
            "analytics.joblog_pattern_clusters",
            "select summary from analytics.joblog_pattern_clusters order by runs desc limit 3",
            [],
        )
        results = {
            t: conn.execute(f"select count(*) from analytics.{t}").fetchall()[0][0]
            for t in RESULT_TABLES
            if f"analytics.{t}" in tables
        }
        families = query(
            "analytics.incident_analyses",
            "select family, count(*), round(avg(confidence), 2) from analytics.incident_analyses "
            "group by 1 order by 2 desc",
            [],
        )
    return {
        "fct_job_runs": fct_rows,
        "templates": templates,
        "top_clusters": [r[0] for r in top_clusters],
        "incidents_by_family": families,
        "runs_by_status": by_status,
        "plans": plans,
        "joblogs": joblogs,
        "joblog_bytes": joblog_bytes,
        "host_metric_rows": host_rows,
        "hosts": hosts,
        "local_host_metric_rows": local_rows,
        "results": results,
    }


def main(
    days: int = 90,
    jobs: int = 500,
    seed: int = 42,
    *,
    end_date: dt.date | None = None,
    root: Path | None = None,
    fresh: bool = True,
) -> int:
    """Run the demo up to ``end_date`` (default `DEFAULT_END_DATE`, so the figures are the same on every
    day); 0 when every asset materialized and every check passed."""
    started = time.monotonic()
    root = (root or Path.cwd()).resolve()
    home = ensure_dagster_home(root)
    if fresh:
        reset_demo_data(root)
    today = end_date or DEFAULT_END_DATE
    print(f"resync demo: simulating {days} days x {jobs} jobs up to {today} (seed {seed}) ...", flush=True)
    # The host history (~1,000 Parquet files for 90 days) is written by the simulator's own writer in a
    # child process, alongside the TWS load, which does not need it.
    writer = subprocess.Popen(
        [sys.executable, "-m", "resync_assets.cli", "sim", "host-metrics", "--out", str(root / SIM_HOST_METRICS_DIR),
         "--seed", str(seed), "--days", str(days), "--jobs", str(jobs), "--end-date", today.isoformat()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ok = _run_demo(root, home, days, jobs, seed, today, writer)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    if not (root / WAREHOUSE).exists():
        print(f"no warehouse at {root / WAREHOUSE}: nothing was loaded", file=sys.stderr)
        return 1
    summary = summarize(root / WAREHOUSE)
    elapsed = time.monotonic() - started
    total_runs = sum(n for _, n in summary["runs_by_status"])
    print(f"\nruns loaded: {total_runs} over {summary['plans']} plan days")
    for status, n in summary["runs_by_status"]:
        print(f"  {status:<10} {n}")
    print(f"joblogs fetched: {summary['joblogs']} ({summary['joblog_bytes'] / 1e6:.1f} MB)")
    print(
        f"host metric rows: {summary['host_metric_rows']} from {summary['hosts']} simulated hosts "
        f"(+ {summary['local_host_metric_rows']} samples of this machine, source 'collector')"
    )
    print(f"marts: fct_job_runs {summary['fct_job_runs']} rows (dbt staging → intermediate → marts)")
    print(f"joblog templates: {summary['templates']}; top failure modes:")
    for line in summary["top_clusters"]:
        print(f"  {line}")
    analysed = sum(n for _, n, _ in summary["incidents_by_family"])
    print(f"failed runs explained: {analysed}")
    for family, n, confidence in summary["incidents_by_family"]:
        print(f"  {family:<12} {n:>5}  mean confidence {confidence}")
    print(
        "results in the warehouse: "
        + ", ".join(f"analytics.{t} {n} rows" for t, n in summary["results"].items())
    )
    for report in sorted((root / REPORTS_DIR).glob("weekly-capacity-report-*.html"))[-1:]:
        print(f"weekly report: {report} (e-mail as {report.with_suffix('.eml').name}; resync report send)")
    print(f"elapsed: {elapsed:.1f} s")
    print(f"\nwarehouse: {root / WAREHOUSE}")
    print('query it (read-only): .venv/bin/resync sql "select count(*) from marts.fct_job_runs"')
    print("see the runs in the UI: make dev, then http://127.0.0.1:3000")
    return 0 if ok else 1


def simulator_clock(end_date: dt.date):
    """The simulator's clock: the real one when ``end_date`` is today (or later), else stopped at the
    last second of ``end_date``, so the current plan is that day's and no run or host sample lies
    after the simulated "now" (the host history writer stops at the same instant)."""
    from resync_assets.sim.clock import ManualClock

    if end_date >= dt.datetime.now(dt.UTC).date():
        return None
    return ManualClock(dt.datetime.combine(end_date, dt.time(23, 59, 59), dt.UTC))


def demo_environment(root: Path, base_url: str, password: str, days: int) -> dict[str, str]:
    """The environment that points every resource at the demo's simulator and folders under ``root``
    (also used by the UI benchmark and test, which hand it to `dagster dev`)."""
    return {
        "RESYNC_TWS_BASE_URL": base_url,
        "RESYNC_TWS_USER": DEMO_USER,
        "RESYNC_TWS_PASSWORD": password,
        "RESYNC_TWS_TOKEN": "",
        "RESYNC_WAREHOUSE_PATH": str(root / WAREHOUSE),
        "RESYNC_LAKE_DIR": str(root / LAKE_DIR),
        "RESYNC_PIPELINES_DIR": str(root / PIPELINES_DIR),
        "RESYNC_BACKFILL_DAYS": str(days),
        "RESYNC_REPORTS_DIR": str(root / REPORTS_DIR),
        "RESYNC_HOST_METRICS_DIRS": os.pathsep.join(
            [str(root / COLLECTOR_DIR), str(root / SIM_HOST_METRICS_DIR)]
        ),
    }


def _run_demo(root: Path, home: Path, days: int, jobs: int, seed: int, today: dt.date, writer) -> bool:
    from resync_assets.definitions import defs as load_defs
    from resync_assets.lib.report.week import IsoWeek
    from resync_assets.sim.server import SimulatorServer
    from resync_assets.sim.workload import WorkloadConfig

    defs = load_defs()
    password = secrets.token_urlsafe(18)
    config = WorkloadConfig(seed=seed, days=days, jobs=jobs, end_date=today)
    clock = simulator_clock(today)
    with SimulatorServer(
        config, host="127.0.0.1", port=0, user=DEMO_USER, password=password, clock=clock
    ) as sim:
        print(f"  simulator at {sim.base_url}", flush=True)
        os.environ.update(demo_environment(root, sim.base_url, password, days))
        ok = _materialize(defs, home, "tws")
    _, err = writer.communicate()
    if writer.returncode != 0:
        print(f"  simulator host history failed: {err.strip()[-2000:]}", file=sys.stderr)
        return False
    return _materialize(defs, home, "downstream", report_week=str(IsoWeek.reported_on(today))) and ok


# The demo's two runs are the code location's own jobs, so the UI lists them by name.
DEMO_JOBS = {"tws": "tws_ingest_job", "downstream": "lakehouse_refresh_job"}


def _materialize(defs, home: Path, part: str, report_week: str | None = None) -> bool:
    """One Dagster run of a named job, with the checks of what it materializes: `tws_ingest_job`
    (part "tws": the TWS tables of `tws_raw`) or `lakehouse_refresh_job` (part "downstream": host
    metrics and every asset downstream of `tws_raw`).

    True when every step succeeded and every check passed.
    """
    import dagster as dg

    from resync_assets.defs.keys import WEEKLY_CAPACITY_REPORT as REPORT_KEY

    job = defs.resolve_job_def(DEMO_JOBS[part])
    run_config: dict = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    if report_week and REPORT_KEY in job.asset_layer.selected_asset_keys:
        # The demo never e-mails: the weekly report of the simulated week is written as .eml.
        run_config["ops"] = {REPORT_KEY.path[-1]: {"config": {"week": report_week, "dry_run": True}}}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = job.execute_in_process(
            instance=instance,
            tags={"resync/demo": "true"},
            run_config=run_config,
            raise_on_error=False,
        )
        status = "success" if result.success else "FAILED"
        print(f"  dagster run {result.run_id} ({job.name}): {status}", flush=True)
        evaluations = result.get_asset_check_evaluations()
    # A WARN-severity check that did not pass is reported (it could not judge, or found something
    # to look at) but does not fail the demo; an ERROR-severity one does.
    failed = [e for e in evaluations if not e.passed and e.severity != dg.AssetCheckSeverity.WARN]
    for evaluation in evaluations:
        if evaluation.passed:
            mark = "ok  "
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            mark = "warn"
        else:
            mark = "FAIL"
        note = f" ({evaluation.description})" if not evaluation.passed and evaluation.description else ""
        print(f"  check {mark} {evaluation.asset_key.to_user_string()}:{evaluation.check_name}{note}")
    return result.success and not failed


if __name__ == "__main__":
    if sys.argv[1:2] == ["--ensure-home"]:
        # `make` prepares DAGSTER_HOME through here, so the instance settings have one owner.
        ensure_dagster_home(Path.cwd())
        sys.exit(0)
    sys.exit(main())
