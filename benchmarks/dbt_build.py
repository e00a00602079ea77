"""Benchmark: `dbt build` of the resync marts on a synthetic warehouse of N job runs.

    .venv/bin/python -m benchmarks.dbt_build --runs 1000000

Builds a raw warehouse in DuckDB SQL following docs/DATA_CONTRACTS.md (tws_raw.job_runs, joblogs,
job_streams, workstations, engine_info, host_metrics), times a full `dbt build`, then appends a day of
new runs, finishes the runs that were still executing (a late status change) and times the
incremental `dbt build`. Figures are printed and written to benchmarks/results/dbt_build.json.

The DDL and generator are also used by tests/transform to build raw tables without the ingestion.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
RESULTS_PATH = REPO_ROOT / "benchmarks" / "results" / "dbt_build.json"

# Column order and types exactly as docs/DATA_CONTRACTS.md lists them.
RAW_DDL = """
create schema if not exists tws_raw;

create table if not exists tws_raw.job_runs (
    run_id varchar, job_id varchar, job_name varchar, job_stream_name varchar, job_stream_id varchar,
    workstation varchar, actual_workstation varchar, folder varchar, plan_id varchar,
    sched_time timestamptz, job_number bigint, run_attempt integer, rerun_type varchar,
    is_rerun boolean, last_in_rerun_chain boolean, return_code integer, common_status varchar,
    internal_status varchar, sub_status varchar, actual_start timestamptz, actual_end timestamptz,
    elapsed_seconds double, estimated_seconds double, submitted_time timestamptz, priority integer,
    is_critical boolean, is_late boolean, recovery_option varchar, task varchar, time_zone varchar,
    first_seen_at timestamptz, last_seen_at timestamptz
);

create table if not exists tws_raw.joblogs (
    run_id varchar, job_id varchar, job_name varchar, workstation varchar, plan_id varchar,
    internal_status varchar, fetched_at timestamptz, text varchar, byte_size bigint, line_count bigint,
    encoding varchar, had_invalid_utf8 boolean, truncated boolean
);

create table if not exists tws_raw.job_streams (
    jobstream_id varchar, plan_id varchar, name varchar, folder varchar, workstation varchar,
    sched_time timestamptz, scheduled_date varchar, common_status varchar, priority integer,
    time_zone varchar, snapshot_at timestamptz
);

create table if not exists tws_raw.workstations (
    workstation_id varchar, name varchar, folder varchar, type varchar, os varchar, node_name varchar,
    host_workstation varchar, time_zone varchar, plan_id varchar, snapshot_at timestamptz
);

create table if not exists tws_raw.engine_info (
    full_version varchar, timezone varchar, locale varchar, snapshot_at timestamptz
);

create table if not exists tws_raw.host_metrics (
    host varchar, ts timestamptz, source varchar, cpu_percent double, cpu_per_core double[],
    load_1m double, load_5m double, load_15m double, memory_percent double,
    memory_used_bytes bigint, memory_total_bytes bigint, swap_percent double, disk_percent double,
    disks struct(mount varchar, total_bytes bigint, used_bytes bigint, percent double)[],
    disk_read_bytes_per_s double, disk_write_bytes_per_s double, net_sent_bytes_per_s double,
    net_recv_bytes_per_s double, process_rss_bytes bigint, cpu_health varchar, memory_health varchar,
    disk_health varchar
);
"""

# Synthetic workload, all in SQL so a million runs take seconds. `$jobs` jobs run once per day from
# `$start`; 3 % of runs abend and are rerun; the last day still has running and waiting runs; a tenth
# of the jobs grow 2 % a week; CPU on each host follows the hour of day and its workload.
_JOB_RUNS_SQL = """
insert into tws_raw.job_runs
with
base as (
    select
        i,
        i % $jobs as job,
        i // $jobs as day,
        (hash(i, 'u') % 1000000) / 1000000.0 as u,
        (hash(i, 'v') % 1000000) / 1000000.0 as v
    from range($base_runs) as t(i)
),
shaped as (
    select
        *,
        job % $workstations as ws,
        job // 10 as stream,
        timestamptz '$start' + to_days(cast(day as integer))
            + to_minutes(cast((job * 37) % 1380 as integer)) as sched,
        30 + (hash(job, 'd') % 3600) as base_duration,
        case when job % 10 = 0 then 1 + 0.02 * day / 7.0 else 1 end as growth
    from base
),
runs as (
    select
        *,
        case
            when day = $last_day and u < 0.05 then 'EXEC'
            when day = $last_day and u < 0.10 then 'HOLD'
            when u < 0.10 then 'ABEND'
            when u < 0.107 then 'FAIL'
            when u < 0.112 then 'CANCL'
            else 'SUCC'
        end as status,
        sched + to_seconds(cast(v * 120 as integer)) as started,
        base_duration * growth * (0.8 + 0.4 * v) as duration
    from shaped
),
attempts as (
    -- A rerun (attempt 2, successful) follows a third of the abends, ten minutes later.
    select *, 1 as attempt from runs
    union all
    select * replace ('SUCC' as status, started + to_seconds(cast(duration + 600 as integer)) as started),
        2 as attempt
    from runs
    where status = 'ABEND' and u < 0.03
)
select
    'run-' || i || '-' || attempt as run_id,
    'job-' || job || '-' || day as job_id,
    'JOB_' || job as job_name,
    'STREAM_' || stream as job_stream_name,
    'js-' || stream || '-' || day as job_stream_id,
    'WS_' || ws as workstation,
    case when status not in ('HOLD', 'FAIL') then 'WS_' || ws end as actual_workstation,
    '/' || 'F' || (stream % 7) || '/' as folder,
    'plan-' || day as plan_id,
    sched as sched_time,
    100000 + i * 2 + attempt as job_number,
    attempt as run_attempt,
    case when attempt = 1 then 'REGULAR' else 'RERUN' end as rerun_type,
    attempt > 1 as is_rerun,
    attempt > 1 or not (status = 'ABEND' and u < 0.03) as last_in_rerun_chain,
    case status when 'SUCC' then 0 when 'ABEND' then 1 + cast(v * 11 as integer) end as return_code,
    case status
        when 'SUCC' then 'SUCCESSFUL' when 'ABEND' then 'ERROR' when 'FAIL' then 'ERROR'
        when 'CANCL' then 'CANCELED' when 'EXEC' then 'RUNNING' else 'WAITING'
    end as common_status,
    status as internal_status,
    null as sub_status,
    case when status not in ('HOLD', 'FAIL') then started end as actual_start,
    case when status in ('SUCC', 'ABEND', 'CANCL') then started + to_microseconds(cast(duration * 1e6 as bigint))
        when status = 'FAIL' then started end as actual_end,
    case when status = 'EXEC' then duration / 2 when status in ('SUCC', 'ABEND', 'CANCL') then duration end
        as elapsed_seconds,
    base_duration as estimated_seconds,
    case when status <> 'HOLD' then started - interval 5 second end as submitted_time,
    10 + job % 90 as priority,
    job % 50 = 0 as is_critical,
    false as is_late,
    case when job % 3 = 0 then 'RERUN' else 'STOP' end as recovery_option,
    '/opt/batch/job_' || job || '.sh' as task,
    'Europe/Rome' as time_zone,
    sched as first_seen_at,
    coalesce(started + to_microseconds(cast(duration * 1e6 as bigint)), sched) + interval 1 minute
        as last_seen_at
from attempts
"""

_OTHER_RAW_SQL = """
insert into tws_raw.workstations
select
    'wsid-' || w, 'WS_' || w, '/', 'AGENT', 'LINUX', 'host' || (w // 2) || '.example.org', null,
    'UTC', 'plan-0', timestamptz '$start'
from range($workstations) as t(w);

insert into tws_raw.job_streams
select
    'js-' || s || '-' || d, 'plan-' || d, 'STREAM_' || s, '/F' || (s % 7) || '/', 'WS_' || (s % $workstations),
    timestamptz '$start' + to_days(cast(d as integer)), strftime(date '$start_date' + cast(d as integer), '%Y-%m-%d'),
    'SUCCESSFUL', 10, 'Europe/Rome', timestamptz '$start' + to_days(cast(d as integer) + 1)
from range(($jobs + 9) // 10) as s(s), range($days) as d(d);

insert into tws_raw.engine_info values ('10.2.5', 'Europe/Rome', 'en', timestamptz '$start');

insert into tws_raw.joblogs
select
    run_id, job_id, job_name, workstation, plan_id, internal_status, last_seen_at,
    'AWSBHT001E The job ' || job_name || ' ended abnormally with return code ' || return_code,
    80, 1, 'UTF-8', false, false
from tws_raw.job_runs
where internal_status = 'ABEND';

insert into tws_raw.host_metrics
with samples as (
    select h, timestamptz '$start' + to_minutes(cast(m * $metric_minutes as integer)) as ts,
        m * $metric_minutes / 5 as m
    from range($hosts) as h(h), range($days * 1440 // $metric_minutes) as m(m)
)
select
    'host' || h, ts, 'simulator',
    least(100, 15 + 25 * (1 + sin(2 * pi() * (m % 288) / 288.0)) + 0.05 * m / 288 + (hash(h, m) % 100) / 20.0),
    [10.0, 20.0], 1.0, 1.0, 1.0,
    40 + (hash(h, m, 'mem') % 2000) / 100.0, 4000000000, 8000000000, 0.0,
    least(100, 50 + 0.1 * m / 288 + (hash(h, m, 'disk') % 100) / 100.0),
    [{'mount': '/', 'total_bytes': 100000000000, 'used_bytes': 50000000000, 'percent': 50.0}],
    1000.0, 2000.0, 300.0, 400.0, null, 'HEALTHY', 'HEALTHY', 'HEALTHY'
from samples;
"""


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the empty `tws_raw` tables with the columns of docs/DATA_CONTRACTS.md."""
    con.execute(RAW_DDL).fetchall()


def _render(sql: str, params: dict[str, object]) -> str:
    # Longest names first so `$start` does not eat `$start_date`.
    for name in sorted(params, key=len, reverse=True):
        sql = sql.replace(f"${name}", str(params[name]))
    return sql


def generate_raw(
    con: duckdb.DuckDBPyConnection,
    runs: int,
    jobs: int | None = None,
    workstations: int = 20,
    start: str = "2026-01-01 00:00:00+00",
    metric_minutes: int = 5,
) -> dict[str, int]:
    """Fill the `tws_raw` tables with about `runs` synthetic job runs (plus their reruns).

    Jobs run once a day from `start` (the default spans the March DST change), so the day count is
    runs / jobs; each host gets a metric sample every `metric_minutes`. Returns the row count of each table.
    """
    jobs = jobs or max(10, runs // 200)
    days = max(1, -(-runs // jobs))
    params = {
        "base_runs": runs,
        "jobs": jobs,
        "days": days,
        "last_day": days - 1,
        "workstations": workstations,
        "hosts": -(-workstations // 2),
        "start": start,
        "start_date": start[:10],
        "metric_minutes": metric_minutes,
    }
    create_raw_tables(con)
    con.execute(_render(_JOB_RUNS_SQL, params)).fetchall()
    con.execute(_render(_OTHER_RAW_SQL, params)).fetchall()
    tables = ("job_runs", "joblogs", "job_streams", "workstations", "engine_info", "host_metrics")
    return {t: con.execute(f"select count(*) from tws_raw.{t}").fetchall()[0][0] for t in tables}


def advance_raw(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Simulate the next ingestion: finish every running run (a late status change, re-merged by
    run_id with a newer last_seen_at) and add a day of new runs and host samples.

    Returns how many runs were changed and added.
    """
    changed = con.execute(
        """
        update tws_raw.job_runs
        set internal_status = 'SUCC', common_status = 'SUCCESSFUL', return_code = 0,
            actual_end = actual_start + to_microseconds(cast(elapsed_seconds * 2e6 as bigint)),
            elapsed_seconds = elapsed_seconds * 2,
            last_seen_at = (select max(last_seen_at) from tws_raw.job_runs) + interval 1 hour
        where internal_status = 'EXEC'
        """
    ).fetchall()[0][0]
    before = con.execute("select count(*) from tws_raw.job_runs").fetchall()[0][0]
    con.execute(
        """
        insert into tws_raw.job_runs
        select * replace (
            replace(run_id, 'run-', 'next-') as run_id,
            job_id || '-next' as job_id,
            plan_id || '-next' as plan_id,
            sched_time + interval 1 day as sched_time,
            actual_start + interval 1 day as actual_start,
            actual_end + interval 1 day as actual_end,
            submitted_time + interval 1 day as submitted_time,
            first_seen_at + interval 1 day as first_seen_at,
            last_seen_at + interval 1 day as last_seen_at
        )
        from tws_raw.job_runs
        where plan_id = (select max_by(plan_id, sched_time) from tws_raw.job_runs)
        """
    ).fetchall()
    added = con.execute("select count(*) from tws_raw.job_runs").fetchall()[0][0] - before
    con.execute(
        """
        insert into tws_raw.host_metrics
        select * replace (ts + interval 1 day as ts)
        from tws_raw.host_metrics
        where ts > (select max(ts) from tws_raw.host_metrics) - interval 1 day
        """
    ).fetchall()
    return {"runs_changed": changed, "runs_added": added}


def run_dbt(args: list[str], warehouse: Path, work_dir: Path, timeout: float = 1800) -> tuple[float, dict]:
    """Run `dbt <args>` against `warehouse` with its target and logs under `work_dir` (the project's
    own target/ holds the manifest Dagster loads); return wall seconds and run_results.json.
    Raises CalledProcessError on failure."""
    env = {**os.environ, "RESYNC_WAREHOUSE_PATH": str(Path(warehouse).resolve())}
    dbt = Path(sys.executable).with_name("dbt")
    target = Path(work_dir) / "target"
    command = [str(dbt), *args, "--target-path", str(target), "--log-path", str(Path(work_dir) / "logs")]
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stdout[-6000:], result.stderr[-3000:], sep="\n", file=sys.stderr)
        raise subprocess.CalledProcessError(result.returncode, result.args, result.stdout, result.stderr)
    run_results = json.loads((target / "run_results.json").read_text())
    run_results["cpu_seconds"] = round(_children_cpu_seconds() - cpu_before, 2)
    return elapsed, run_results


def _children_cpu_seconds() -> float:
    # CPU used by finished child processes: on a shared machine wall time also measures the neighbours.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _slowest(run_results: dict, n: int = 5) -> list[tuple[str, float]]:
    nodes = sorted(run_results["results"], key=lambda r: -r["execution_time"])[:n]
    return [(r["unique_id"].split(".", 2)[-1], round(r["execution_time"], 2)) for r in nodes]


def main(argv: list[str] | None = None) -> int:
    """Generate, build, advance, build again; print and save the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="synthetic job runs (default 1M)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the warehouse (temp)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        warehouse = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        with duckdb.connect(str(warehouse)) as con:
            counts = generate_raw(con, args.runs)
        generate_seconds = time.perf_counter() - started
        print(f"raw warehouse: {counts} in {generate_seconds:.1f} s", flush=True)

        full_seconds, full_results = run_dbt(["build", "--quiet"], warehouse, Path(tmp) / "full")
        print(
            f"dbt build (full, {counts['job_runs']:,} runs): {full_seconds:.1f} s wall, "
            f"{full_results['cpu_seconds']:.1f} s CPU (load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        print(f"  slowest nodes: {_slowest(full_results)}", flush=True)

        with duckdb.connect(str(warehouse)) as con:
            advanced = advance_raw(con)
        incremental_seconds, incremental_results = run_dbt(["build", "--quiet"], warehouse, Path(tmp) / "inc")
        print(
            f"dbt build (incremental, {advanced['runs_changed']:,} changed + "
            f"{advanced['runs_added']:,} new runs): {incremental_seconds:.1f} s wall, "
            f"{incremental_results['cpu_seconds']:.1f} s CPU",
            flush=True,
        )
        print(f"  slowest nodes: {_slowest(incremental_results)}", flush=True)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            fct_rows = con.execute("select count(*) from marts.fct_job_runs").fetchall()[0][0]

    results = {
        "runs": counts["job_runs"],
        "raw_rows": counts,
        "generate_seconds": round(generate_seconds, 2),
        "dbt_build_full_seconds": round(full_seconds, 2),
        "dbt_build_incremental_seconds": round(incremental_seconds, 2),
        "dbt_build_full_cpu_seconds": full_results["cpu_seconds"],
        "dbt_build_incremental_cpu_seconds": incremental_results["cpu_seconds"],
        "incremental_changed_runs": advanced["runs_changed"],
        "incremental_new_runs": advanced["runs_added"],
        "fct_job_runs_rows": fct_rows,
        "slowest_full": _slowest(full_results, 10),
        "slowest_incremental": _slowest(incremental_results, 10),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "target_full_seconds": 60,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
        },
    }
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
