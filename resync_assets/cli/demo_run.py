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
# community" modal over the UI on first open (`nux`), the writer pool limited to one run step, and
# runs launched at once rather than queued.
INSTANCE_SECTIONS = {
    "telemetry": "telemetry:\n  enabled: false\n",
    "nux": "nux:\n  enabled: false\n",
    "concurrency": "concurrency:\n  pools:\n    default_limit: 1\n",
    # Runs start as soon as they are launched (the UI's button, a sensor, a schedule) instead of
    # waiting in the run queue for the daemon's next dequeue (5 s ticks, 20 s+ on a busy machine):
    # the writer pool above already keeps writers apart, step by step.
    "run_coordinator": "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n",
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


def summarize(warehouse: Path, truth: list[dict] | None = None) -> dict:
    """Counts for the summary, read from the warehouse (read-only); a table not loaded counts 0.
    With `truth` (the simulator's failure truth as dicts), also how the analyses and the top failure
    modes compare with it (`lib/rca/evaluation.compare_with_truth`)."""
    from resync_assets.lib.rca.evaluation import compare_with_truth
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
        # Shares of finished runs, by what each flag measures (see docs/marts.md, fct_job_runs.yml).
        ((late, flagged, beyond, over),) = query(
            "marts.fct_job_runs",
            "select coalesce(avg(is_late::int), 0), coalesce(avg((coalesce(is_flagged_late, false) "
            "or coalesce(is_past_deadline, false) or coalesce(is_max_duration_exceeded, false))::int), 0), "
            "coalesce(avg(is_beyond_runtime_tolerance::int), 0), coalesce(avg(is_over_estimate::int), 0) "
            "from marts.fct_job_runs where is_terminal and started_at is not null",
            [(0.0, 0.0, 0.0, 0.0)],
        )
        ((templates,),) = query(
            "analytics.joblog_templates", "select count(*) from analytics.joblog_templates", [(0,)]
        )
        top_clusters = query(
            "analytics.joblog_pattern_clusters",
            "select summary from analytics.joblog_pattern_clusters order by runs desc, cluster_id limit 10",
            [],
        )
        results = {
            t: conn.execute(f"select count(*) from analytics.{t}").fetchall()[0][0]
            for t in RESULT_TABLES
            if f"analytics.{t}" in tables
        }
        families = query(
            "analytics.incident_analyses",
            "select family, count(*), quantile_cont(confidence, [0.1, 0.5, 0.9]) "
            "from analytics.incident_analyses group by 1 order by 2 desc, 1",
            [],
        )
        evaluation = compare_with_truth(conn, truth) if truth is not None else None
    return {
        "evaluation": evaluation,
        "fct_job_runs": fct_rows,
        "lateness": {"late": late, "flagged": flagged, "beyond_tolerance": beyond, "over_estimate": over},
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
    day); 0 when every asset materialized and no ERROR-severity check failed (checks with nothing to
    judge print "n/a" with their reason)."""
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
    summary = summarize(root / WAREHOUSE, demo_truth(days, jobs, seed, today))
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
    lt = summary["lateness"]
    print(
        f"late runs: {lt['late'] * 100:.1f} % of finished runs = the scheduler's late / deadline / "
        f"maximum-duration flags ({lt['flagged'] * 100:.1f} %) "
        f"or beyond the job's run-time tolerance band ({lt['beyond_tolerance'] * 100:.1f} %); "
        f"over TWS's estimate by any amount: {lt['over_estimate'] * 100:.1f} % (not lateness)"
    )
    print(f"joblog templates: {summary['templates']}; top failure modes:")
    for line in summary["top_clusters"]:
        print(f"  {line}")
    print_truth(summary)
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
    """The simulator's clock: stopped at the last second of a past weekday ``end_date`` (the default
    one included), so the current plan is that day's and no run or host sample lies after the
    simulated "now" (the host history writer stops at the same instant); else the real clock."""
    from resync_assets.sim.clock import ManualClock

    if end_date >= dt.datetime.now(dt.UTC).date():
        return None
    if end_date.isoweekday() > 5:
        # A weekend plan of a small world can be empty, and ingestion anchors its backfill window on
        # the current plan's id, else on the real date: a stopped clock on an empty weekend plan would
        # load nothing. Weekend end dates keep the live clock until ingestion anchors on the server.
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


def print_truth(summary: dict) -> None:
    """The analysis part of the summary: confidence spread per family, accuracy against the
    simulator's truth (known / unknown signatures apart) and what the top failure modes planted."""
    analysed = sum(n for _, n, _ in summary["incidents_by_family"])
    print(f"failed runs explained: {analysed} (confidence p10 / median / p90 per family)")
    for family, n, q in summary["incidents_by_family"]:
        spread = " / ".join(f"{x:.2f}" for x in q) if q else "-"
        print(f"  {family:<12} {n:>5}  confidence {spread}")
    ev = summary.get("evaluation")
    if not ev:
        return
    print("against the simulator's truth (error line right / family right / ECE / confidence median):")
    for part in ("all", "known", "unknown"):
        f = ev[part]
        if not f["analysed"]:
            print(f"  {part:<8} no analysed runs")
            continue
        print(
            f"  {part:<8} {f['analysed']:>5} runs  {f['error_line_hit_at_1']:.3f} / {f['family_accuracy']:.3f}"
            f" / {f['ece']:.3f} / {f['confidence'].get('median', 0):.2f}"
        )
    print("top failure modes and the signature the simulator planted in their runs:")
    for m in ev["top_modes"]:
        share = f"{m['share'] * 100:.0f} %" if m["share"] is not None else "no truth"
        print(f"  {m['runs']:>5} runs  {m['failure_mode'][:70]:<70}  {m['signature_id']} {share}")


def demo_truth(days: int, jobs: int, seed: int, today: dt.date) -> list[dict]:
    """The simulator's failure truth of the demo's workload (as of the simulated now), as plain rows."""
    from resync_assets.sim.workload import Workload, WorkloadConfig

    w = Workload(WorkloadConfig(seed=seed, days=days, jobs=jobs, end_date=today), simulator_clock(today))
    return [
        {
            "run_id": t.run_id,
            "signature_id": t.signature_id,
            "family": t.family,
            "error_line_number": t.error_line_number,
            "error_line": t.error_line,
        }
        for t in w.failure_truth()
    ]


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

    True when every step succeeded and no ERROR-severity check failed (a check with nothing to judge,
    e.g. no failed run on a quiet day, prints "n/a" with its reason; a WARN finding prints "warn").
    """
    import dagster as dg

    from resync_assets.defs.checks import nothing_to_judge_reason
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
    # A check with nothing to judge (a quiet day, no outcomes recorded) prints "n/a" with its reason;
    # a WARN-severity finding prints "warn" (something to look at); neither fails the demo. An
    # ERROR-severity check that does not pass is a FAIL.
    failed = [
        e
        for e in evaluations
        if not e.passed and e.severity != dg.AssetCheckSeverity.WARN and nothing_to_judge_reason(e) is None
    ]
    for evaluation in evaluations:
        reason = nothing_to_judge_reason(evaluation)
        if evaluation.passed:
            mark, note = "ok  ", ""
        elif reason is not None:
            mark, note = "n/a ", f" (nothing to judge: {reason})"
        else:
            mark = "warn" if evaluation.severity == dg.AssetCheckSeverity.WARN else "FAIL"
            note = f" ({evaluation.description})" if evaluation.description else ""
        print(f"  check {mark} {evaluation.asset_key.to_user_string()}:{evaluation.check_name}{note}")
    return result.success and not failed


if __name__ == "__main__":
    if sys.argv[1:2] == ["--ensure-home"]:
        # `make` prepares DAGSTER_HOME through here, so the instance settings have one owner.
        ensure_dagster_home(Path.cwd())
        sys.exit(0)
    sys.exit(main())
