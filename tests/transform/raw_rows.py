"""Hand-made `tws_raw` rows for the edge cases the marts must get right.

Columns follow docs/DATA_CONTRACTS.md; unspecified columns are null. Every run is on workstation
EDGE_WS (node edgehost.example.org, whose metrics host is `edgehost`).
"""

from __future__ import annotations

import duckdb

EDGE_RUNS: list[dict] = [
    # Across midnight: 23:50 -> 00:10, twenty minutes.
    {
        "run_id": "edge-midnight",
        "job_id": "ej1",
        "job_name": "EDGE_MIDNIGHT",
        "plan_id": "edge-plan-1",
        "internal_status": "SUCC",
        "common_status": "SUCCESSFUL",
        "return_code": 0,
        "actual_start": "2026-01-05 23:50:00+00",
        "actual_end": "2026-01-06 00:10:00+00",
        "estimated_seconds": 600.0,
    },
    # Across the spring DST change in Rome: 01:30+01 -> 03:30+02 is one hour of wall time.
    {
        "run_id": "edge-dst",
        "job_id": "ej2",
        "job_name": "EDGE_DST",
        "plan_id": "edge-plan-1",
        "internal_status": "SUCC",
        "common_status": "SUCCESSFUL",
        "return_code": 0,
        "actual_start": "2026-03-29 01:30:00+01",
        "actual_end": "2026-03-29 03:30:00+02",
        "estimated_seconds": 7200.0,
    },
    # A rerun chain: ABEND, then two reruns, the last successful.
    {
        "run_id": "edge-chain-1",
        "job_id": "ej3",
        "job_name": "EDGE_CHAIN",
        "plan_id": "edge-plan-1",
        "run_attempt": 1,
        "is_rerun": False,
        "internal_status": "ABEND",
        "common_status": "ERROR",
        "return_code": 8,
        "actual_start": "2026-01-05 10:00:00+00",
        "actual_end": "2026-01-05 10:05:00+00",
    },
    {
        "run_id": "edge-chain-2",
        "job_id": "ej3",
        "job_name": "EDGE_CHAIN",
        "plan_id": "edge-plan-1",
        "run_attempt": 2,
        "is_rerun": True,
        "internal_status": "ABEND",
        "common_status": "ERROR",
        "return_code": 8,
        "actual_start": "2026-01-05 10:10:00+00",
        "actual_end": "2026-01-05 10:15:00+00",
    },
    {
        "run_id": "edge-chain-3",
        "job_id": "ej3",
        "job_name": "EDGE_CHAIN",
        "plan_id": "edge-plan-1",
        "run_attempt": 3,
        "is_rerun": True,
        "internal_status": "SUCC",
        "common_status": "SUCCESSFUL",
        "return_code": 0,
        "actual_start": "2026-01-05 10:20:00+00",
        "actual_end": "2026-01-05 10:25:00+00",
    },
    # Still executing when loaded; ends later (a late status change).
    {
        "run_id": "edge-running",
        "job_id": "ej4",
        "job_name": "EDGE_RUNNING",
        "plan_id": "edge-plan-1",
        "internal_status": "EXEC",
        "common_status": "RUNNING",
        "actual_start": "2026-01-05 11:00:00+00",
        "elapsed_seconds": 1800.0,
        "estimated_seconds": 3000.0,
    },
    # Waiting (no start yet), starts and fails later.
    {
        "run_id": "edge-waiting",
        "job_id": "ej5",
        "job_name": "EDGE_WAITING",
        "plan_id": "edge-plan-1",
        "internal_status": "HOLD",
        "common_status": "WAITING",
    },
]

_DEFAULTS = {
    "job_stream_name": "EDGE_STREAM",
    "job_stream_id": "edge-js-1",
    "workstation": "EDGE_WS",
    "actual_workstation": "EDGE_WS",
    "folder": "/EDGE/",
    "sched_time": "2026-01-05 06:00:00+00",
    "run_attempt": 1,
    "is_rerun": False,
    "time_zone": "Europe/Rome",
    "first_seen_at": "2026-01-05 06:00:00+00",
    "last_seen_at": "2026-01-05 11:30:00+00",
}


def insert_runs(con: duckdb.DuckDBPyConnection, runs: list[dict]) -> None:
    """Insert (or, by run_id, replace) runs in tws_raw.job_runs, as the loader's merge would."""
    columns = [c[0] for c in con.execute("describe tws_raw.job_runs").fetchall()]
    for run in runs:
        row = {**_DEFAULTS, **run}
        con.execute("delete from tws_raw.job_runs where run_id = ?", [row["run_id"]]).fetchall()
        con.execute(
            f"insert into tws_raw.job_runs ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
            [row.get(c) for c in columns],
        ).fetchall()


def insert_edge_cases(con: duckdb.DuckDBPyConnection) -> None:
    """The edge-case runs, their workstation and a day of host samples for its host."""
    insert_runs(con, EDGE_RUNS)
    con.execute(
        """
        insert into tws_raw.workstations (workstation_id, name, folder, type, os, node_name, snapshot_at)
        values ('edge-ws', 'EDGE_WS', '/EDGE/', 'AGENT', 'LINUX', 'edgehost.example.org',
                timestamptz '2026-01-05 00:00:00+00');
        insert into tws_raw.host_metrics (host, ts, source, cpu_percent, memory_percent, disk_percent)
        select 'edgehost', timestamptz '2026-01-05 00:00:00+00' + to_minutes(cast(m * 10 as integer)),
            'simulator', 10 + m % 50, 40.0, 60.0
        from range(144) as t(m);
        """
    ).fetchall()


def late_changes(con: duckdb.DuckDBPyConnection) -> None:
    """The next load: the running run ends ABEND, the waiting one starts and succeeds, and the chain
    that ended successfully gets a fourth run (an operator rerun). last_seen_at is the load time, so
    it is newer than anything loaded before."""
    seen = con.execute("select max(last_seen_at) + interval 1 hour from tws_raw.job_runs").fetchall()[0][0]
    insert_runs(
        con,
        [
            {
                **EDGE_RUNS[5],
                "internal_status": "ABEND",
                "common_status": "ERROR",
                "return_code": 12,
                "actual_end": "2026-01-05 12:10:00+00",
                "elapsed_seconds": 4200.0,
                "last_seen_at": seen,
            },
            {
                **EDGE_RUNS[6],
                "internal_status": "SUCC",
                "common_status": "SUCCESSFUL",
                "return_code": 0,
                "actual_start": "2026-01-05 13:00:00+00",
                "actual_end": "2026-01-05 13:20:00+00",
                "last_seen_at": seen,
            },
            {
                **EDGE_RUNS[4],
                "run_id": "edge-chain-4",
                "run_attempt": 4,
                "actual_start": "2026-01-05 13:30:00+00",
                "actual_end": "2026-01-05 13:31:00+00",
                "last_seen_at": seen,
            },
        ],
    )
