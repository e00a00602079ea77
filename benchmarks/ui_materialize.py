"""Materialize-all from the Dagster UI against the CLI demo, on the same simulated world.

    .venv/bin/python -m benchmarks.ui_materialize                      # the demo's 90 days x 500 jobs
    .venv/bin/python -m benchmarks.ui_materialize --days 30 --jobs 200
    .venv/bin/python -m benchmarks.ui_materialize --served-only      # steps 1 and 3: load times only

In one run it measures:

1. definitions load: `resync_assets.definitions.defs()` in a fresh interpreter (imports included),
   three times;
2. the CLI demo: `resync demo` (two in-process runs) from start to exit;
3. `make dev` as a user types it (install check, instance settings, embedded simulator, `dagster
   dev`), timed until the webserver serves the code location, `--served-repeats` times (median);
4. the UI: `dagster dev -w workspace.yaml` on loopback, timed until the code location is served,
   then `everything_job` launched through the webserver's GraphQL `launchRun` (what the UI's
   buttons call), from launch to the run's end as the run list records it (queue time included);
5. a sensor-launched analysis: a few analyses are removed from `analytics.incident_analyses` so the
   next `incident_analysis_job` has new failures to analyse; the run the incident sensor launches is
   timed from its creation (the sensor's request) to its end.

Figures go to stdout and `benchmarks/results/ui_materialize.json`. The machine is shared: figures are
noisy, so run it when it is quiet and say how loaded it was (the load average is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.dagster_ui import DONE, REPO, VENV_BIN, DagsterDev, demo_world

DEFAULT_END_DATE = dt.date(2026, 11, 30)
REMOVED_ANALYSES = 5


def definitions_load_seconds(repeats: int = 3) -> list[float]:
    """Seconds to import and build the definitions in a fresh interpreter, `repeats` times."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from resync_assets.definitions import defs\n"
        "defs().get_repository_def()\n"
        "print(time.perf_counter() - t)"
    )
    out = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
        )
        out.append(float(done.stdout.strip().splitlines()[-1]))
    return out


def make_dev_served_seconds(root: Path, repeats: int = 3) -> list[float]:
    """Seconds from `make dev` to the code location served, ``repeats`` times, each with a fresh
    `DAGSTER_HOME` under ``root`` and the embedded simulator (no `RESYNC_TWS_BASE_URL`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESYNC_TWS_")}
    out = []
    for i in range(repeats):
        home = root / f"make-dev-{i}" / ".dagster_home"
        home.mkdir(parents=True)
        with DagsterDev(
            {**env, "DAGSTER_HOME": str(home)}, home.parent / "make_dev.log", via_make=True
        ) as ui:
            out.append(ui.wait_served(timeout=300))
    return out


def cli_demo_seconds(root: Path, days: int, jobs: int, seed: int, end_date: dt.date) -> float:
    """Wall seconds of `resync demo` in ``root`` (its own DAGSTER_HOME)."""
    env = {**os.environ, "DAGSTER_HOME": str(root / ".dagster_home")}
    root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    done = subprocess.run(
        [str(VENV_BIN / "resync"), "demo", "--days", str(days), "--jobs", str(jobs), "--seed", str(seed),
         "--end-date", end_date.isoformat()],
        cwd=root, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"resync demo failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed


def _remove_some_analyses(env: dict[str, str], n: int) -> int:
    from resync_assets.lib.warehouse import writer

    with writer(Path(env["RESYNC_WAREHOUSE_PATH"]), what="benchmark: forget analyses") as con:
        ids = [
            r[0]
            for r in con.execute("select run_id from analytics.incident_analyses limit ?", [n]).fetchall()
        ]
        for table in ("incident_analyses", "incident_notifications"):
            con.execute(f"delete from analytics.{table} where list_contains(?, run_id)", [ids])
    return len(ids)


def _report_new_joblogs(env: dict[str, str], fetched: int) -> None:
    import dagster as dg

    from resync_assets.defs.keys import JOBLOGS

    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key=JOBLOGS, metadata={"joblogs_fetched": fetched})
        )


def ui_figures(root: Path, days: int, jobs: int, seed: int, end_date: dt.date, sensor_timeout: float) -> dict:
    """Served time, everything_job launch-to-end, and the sensor-launched analysis run's time."""
    figures: dict = {}
    with (
        demo_world(root, days=days, jobs=jobs, seed=seed, end_date=end_date) as env,
        DagsterDev(env, log_path=root / "dagster_dev.log") as ui,
    ):
        figures["served_seconds"] = round(ui.wait_served(timeout=300), 2)
        launched = time.time()
        run_id = ui.launch("everything_job", tags={"resync/benchmark": "ui_materialize"})
        run = ui.wait_run(run_id, timeout=3600)
        if run["status"] != "SUCCESS":
            raise RuntimeError(f"everything_job ended {run['status']}:\n{ui.log_tail()}")
        figures["ui_launch_to_success_seconds"] = round(run["endTime"] - launched, 2)
        figures["ui_run_seconds"] = round(run["endTime"] - run["startTime"], 2)
        figures["ui_queued_seconds"] = round(run["startTime"] - run["creationTime"], 2)

        # A few failures arrive: their analyses are forgotten and a joblogs materialization that
        # fetched them is reported, as an ingestion poll would; the incident sensor reacts to it.
        figures["sensor_new_failures"] = _remove_some_analyses(env, REMOVED_ANALYSES)
        before = {r["runId"] for r in ui.runs()}
        _report_new_joblogs(env, figures["sensor_new_failures"])
        deadline = time.monotonic() + sensor_timeout
        sensor_run = None
        while time.monotonic() < deadline and sensor_run is None:
            time.sleep(2)
            for r in ui.runs():
                if (
                    r["runId"] not in before
                    and r["jobName"] == "incident_analysis_job"
                    and r["status"] in DONE
                ):
                    sensor_run = r
        if sensor_run is not None:
            figures["sensor_run_status"] = sensor_run["status"]
            figures["sensor_run_seconds"] = round(sensor_run["endTime"] - sensor_run["creationTime"], 2)
            figures["sensor_run_queued_seconds"] = round(
                sensor_run["startTime"] - sensor_run["creationTime"], 2
            )
        figures["runs"] = [(r["jobName"], r["status"]) for r in ui.runs()]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=DEFAULT_END_DATE)
    parser.add_argument(
        "--sensor-timeout", type=float, default=240.0, help="seconds to wait for the sensor run"
    )
    parser.add_argument("--skip-cli", action="store_true", help="measure the UI side only")
    parser.add_argument("--served-repeats", type=int, default=3, help="`make dev` starts to time")
    parser.add_argument(
        "--served-only", action="store_true", help="definitions load and `make dev` served times only"
    )
    args = parser.parse_args(argv)

    figures: dict = {"days": args.days, "jobs": args.jobs, "seed": args.seed, "end_date": str(args.end_date)}
    figures["load_average_before"] = os.getloadavg()
    loads = definitions_load_seconds()
    figures["definitions_load_seconds"] = [round(x, 2) for x in loads]
    print(
        f"definitions load: {', '.join(f'{x:.2f}' for x in loads)} s (median {statistics.median(loads):.2f})"
    )
    # The daemon of a stopped `dagster dev` may still be writing its last files while they go.
    with tempfile.TemporaryDirectory(prefix="resync-ui-bench-", ignore_cleanup_errors=True) as tmp:
        served = make_dev_served_seconds(Path(tmp) / "make-dev", args.served_repeats)
        figures["make_dev_served_seconds"] = [round(x, 2) for x in served]
        print(
            f"make dev: code location served after {', '.join(f'{x:.1f}' for x in served)} s "
            f"(median {statistics.median(served):.1f})",
            flush=True,
        )
        if args.served_only:
            figures["load_average_after"] = os.getloadavg()
            print(
                f"load average before {figures['load_average_before']}, after {figures['load_average_after']}"
            )
            return 0
        if not args.skip_cli:
            cli = cli_demo_seconds(Path(tmp) / "cli", args.days, args.jobs, args.seed, args.end_date)
            figures["cli_demo_seconds"] = round(cli, 2)
            print(f"CLI demo (resync demo): {cli:.1f} s", flush=True)
        figures.update(
            ui_figures(Path(tmp) / "ui", args.days, args.jobs, args.seed, args.end_date, args.sensor_timeout)
        )
    figures["load_average_after"] = os.getloadavg()
    print(f"dagster dev: code location served after {figures['served_seconds']:.1f} s")
    print(
        f"UI everything_job: {figures['ui_launch_to_success_seconds']:.1f} s launch to success "
        f"({figures['ui_queued_seconds']:.1f} s queued, {figures['ui_run_seconds']:.1f} s running)"
    )
    if "cli_demo_seconds" in figures:
        ratio = figures["ui_launch_to_success_seconds"] / figures["cli_demo_seconds"]
        figures["ui_to_cli_ratio"] = round(ratio, 2)
        print(f"UI / CLI: {ratio:.2f}x")
    if "sensor_run_seconds" in figures:
        print(
            f"sensor-launched incident_analysis_job ({figures['sensor_new_failures']} new failures): "
            f"{figures['sensor_run_seconds']:.1f} s from request to end "
            f"({figures['sensor_run_queued_seconds']:.1f} s queued), {figures['sensor_run_status']}"
        )
    else:
        print(f"no sensor-launched run finished within {args.sensor_timeout:g} s")
    print(f"load average before {figures['load_average_before']}, after {figures['load_average_after']}")
    out = REPO / "benchmarks" / "results" / "ui_materialize.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
