"""resync's own status: what the operator should know now, and the health of resync's parts.

`collect_status(...)` returns a `Status`: a list of `Item`s, each with a state — OK, WARN
(needs attention), CRITICAL, or UNKNOWN (could not be measured) — in the Nagios convention, so
`Status.exit_code` (0 / 1 / 2) can drive a monitor. Used by `resync status` and by the
`resync_health` asset check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resync_assets.lib.metrics import (
    DEGRADED,
    DEGRADED_FROM_PERCENT,
    UNHEALTHY,
    UNHEALTHY_FROM_PERCENT,
    health_state,
)
from resync_assets.lib.warehouse import WarehouseBusy, connect_read_only, existing_tables

OK, WARN, CRITICAL, UNKNOWN = "OK", "WARN", "CRITICAL", "UNKNOWN"
EXIT_CODES = {OK: 0, UNKNOWN: 0, WARN: 1, CRITICAL: 2}
DEFAULT_MAX_POLL_LAG = dt.timedelta(minutes=30)
ETA_ATTENTION_WEEKS = 4


@dataclass
class Item:
    """One line of the status."""

    name: str
    state: str
    value: str
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Status:
    """Everything `resync status` shows."""

    checked_at: dt.datetime
    items: list[Item] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return max((EXIT_CODES[i.state] for i in self.items), default=0)

    @property
    def state(self) -> str:
        return {0: OK, 1: WARN, 2: CRITICAL}[self.exit_code]

    @property
    def attention(self) -> list[Item]:
        return [i for i in self.items if i.state in (WARN, CRITICAL)]

    def get(self, name: str) -> Item | None:
        return next((i for i in self.items if i.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at.isoformat(),
            "state": self.state,
            "exit_code": self.exit_code,
            "items": [dataclasses.asdict(i) for i in self.items],
        }


def _percent_state(percent: float | None) -> str:
    state = health_state(percent)
    return {None: UNKNOWN, DEGRADED: WARN, UNHEALTHY: CRITICAL}.get(state, OK)


def _ago(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


# ------------------------------------------------------------------------------ warehouse facts


def _warehouse_items(con, now: dt.datetime, max_poll_lag: dt.timedelta) -> list[Item]:
    tables = existing_tables(con)
    items: list[Item] = []

    def q(sql: str, params: list | None = None):
        return con.execute(sql, params or []).fetchall()

    # Last poll: the newest dlt load of the TWS source.
    if "tws_raw._dlt_loads" in tables:
        ((last,),) = q("select max(inserted_at) from tws_raw._dlt_loads")
        if last is None:
            items.append(Item("last_poll", WARN, "never", "no ingestion has completed"))
        else:
            lag = now - last
            state = WARN if lag > max_poll_lag else OK
            items.append(
                Item("last_poll", state, f"{last:%Y-%m-%d %H:%M} UTC ({_ago(lag)} ago)",
                     f"lag above {_ago(max_poll_lag)}" if state == WARN else "", {"lag_seconds": lag.total_seconds()})
            )  # fmt: skip
    else:
        items.append(
            Item("last_poll", WARN, "never", "no ingestion yet (tws_raw._dlt_loads not in the warehouse)")
        )

    if "tws_raw.quarantine" in tables:
        from resync_assets.lib.ingest.quarantine import summary

        found = summary(con, "tws_raw", examples=3) or {"open": 0, "by_source": {}, "examples": []}
        items.append(
            Item(
                "quarantine",
                WARN if found["open"] else OK,
                f"{found['open']} item(s) waiting" if found["open"] else "empty",
                "; ".join(found["examples"]),
                {"open": found["open"], "by_source": found["by_source"]},
            )
        )

    if "tws_raw.job_runs" in tables:
        start = dt.datetime.combine(now.date(), dt.time(0), dt.UTC)
        ((runs, failures),) = q(
            "select count(*), count(*) filter (where internal_status in ('ABEND', 'FAIL', 'ERROR')) "
            "from tws_raw.job_runs where coalesce(actual_start, actual_end, sched_time) >= ?",
            [start],
        )
        items.append(
            Item(
                "today",
                OK,
                f"{runs} runs, {failures} failed",
                "since 00:00 UTC",
                {"runs": runs, "failures": failures},
            )
        )

    if "analytics.incident_analyses" in tables:
        resolved = (
            "exists (select 1 from analytics.incident_resolutions s where s.run_id = a.run_id)"
            if "analytics.incident_resolutions" in tables else "false"
        )  # fmt: skip
        acked = (
            "exists (select 1 from analytics.incident_acks k where k.run_id = a.run_id)"
            if "analytics.incident_acks" in tables else "false"
        )  # fmt: skip
        ((open_, unacked_recent),) = q(
            f"select count(*) filter (where not {resolved}), "
            f"count(*) filter (where not {resolved} and not {acked} and a.ended_at >= ?) "
            "from analytics.incident_analyses a",
            [now - dt.timedelta(days=1)],
        )
        state = WARN if unacked_recent else OK
        items.append(
            Item("open_incidents", state, f"{open_} open, {unacked_recent} new in 24 h not acknowledged",
                 "resync incidents list --open" if open_ else "", {"open": open_, "unacknowledged_24h": unacked_recent})
        )  # fmt: skip
    else:
        items.append(Item("open_incidents", OK, "none analysed yet"))

    if "analytics.capacity_threshold_eta" in tables:
        rows = q(
            "select host, resource, threshold, min(eta_week_50), min(weeks_to_50) from analytics.capacity_threshold_eta "
            "where generated_at = (select max(generated_at) from analytics.capacity_threshold_eta) "
            "and eta_week_50 is not null group by 1, 2, 3 order by 4, 1, 2 limit 1"
        )
        if rows:
            host, resource, threshold, eta, weeks = rows[0]
            state = WARN if weeks is not None and weeks <= ETA_ATTENTION_WEEKS else OK
            items.append(Item("nearest_capacity_eta", state, f"{host} {resource} >= {threshold:g} % by {eta}",
                              f"in {weeks} week{'' if weeks == 1 else 's'}" if weeks is not None else "",
                              {"host": host, "eta": str(eta)}))  # fmt: skip
        else:
            items.append(Item("nearest_capacity_eta", OK, "no threshold crossing forecast"))
    else:
        items.append(Item("nearest_capacity_eta", OK, "no forecast yet"))

    if "analytics.drift_reports" in tables:
        rows = q(
            "select report_date, list(check_name order by check_name) filter (where drift_detected) "
            "from analytics.drift_reports where report_date = (select max(report_date) from analytics.drift_reports) "
            "group by 1"
        )
        if rows:
            day, drifted = rows[0]
            drifted = drifted or []
            items.append(Item("drift_alerts", WARN if drifted else OK,
                              f"{len(drifted)} on {day}" + (f": {', '.join(drifted)}" if drifted else ""),
                              data={"drifted": drifted}))  # fmt: skip
        else:
            items.append(Item("drift_alerts", OK, "no drift report yet"))
    else:
        items.append(Item("drift_alerts", OK, "no drift report yet"))

    if "analytics.report_deliveries" in tables:
        sent = q(
            "select iso_week, sent_at, recipients from analytics.report_deliveries where status = 'sent' "
            "order by sent_at desc limit 1"
        )
        failed = q(
            "select iso_week, error from analytics.report_deliveries where status = 'failed' and channel = 'email' "
            "and iso_week > coalesce((select max(iso_week) from analytics.report_deliveries where status = 'sent'), '') "
            "order by iso_week desc limit 1"
        )
        value = f"{sent[0][0]} at {sent[0][1]:%Y-%m-%d %H:%M} UTC" if sent else "none sent yet"
        if failed:
            items.append(Item("last_report", WARN, value, f"{failed[0][0]} failed: {failed[0][1]}"))
        else:
            items.append(Item("last_report", OK, value))
    else:
        items.append(Item("last_report", OK, "none sent yet"))
    return items


# ------------------------------------------------------------------------------ resync's parts


def probe_tws(settings_factory: Callable[[], Any] | None) -> Item:
    """One `GET /engine/info` with short timeouts; the client's circuit-breaker state after it."""
    if settings_factory is None:
        return Item("tws_api", UNKNOWN, "not configured", "RESYNC_TWS_BASE_URL is not set")
    from resync_assets.lib.tws import TwsClient, TwsError

    try:
        settings = settings_factory()
    except ValueError as exc:
        return Item("tws_api", WARN, "not configured", str(exc))
    settings = dataclasses.replace(
        settings, timeout_seconds=min(settings.timeout_seconds, 5.0), max_retries=1, backoff_max_seconds=0.5,
        backoff_initial_seconds=0.1,
    )  # fmt: skip
    with TwsClient(settings) as client:
        try:
            info = client.engine_info()
            error = None
        except TwsError as exc:
            info, error = None, str(exc)
        stats = client.stats
    breaker = stats.get("breaker_state", "?")
    data = {
        "breaker_state": breaker,
        "breaker_failures": stats.get("breaker_failures"),
        "base_url": settings.base_url,
    }
    if error is not None:
        return Item("tws_api", CRITICAL, f"unreachable (circuit breaker {breaker})", error[:300], data)
    version = (info or {}).get("engineVersion") or (info or {}).get("version") or ""
    state = OK if breaker == "closed" else WARN
    return Item("tws_api", state, f"reachable (circuit breaker {breaker})", f"engine {version}".strip(), data)


def _warehouse_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}.wal")) if p.exists())


def _disk_item(path: Path) -> Item:
    folder = path if path.is_dir() else path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    percent = 100.0 * usage.used / usage.total if usage.total else None
    return Item(
        "data_disk", _percent_state(percent), f"{usage.free / 1e9:.1f} GB free ({percent:.0f} % used)",
        f"{folder}", {"free_bytes": usage.free, "used_percent": percent},
    )  # fmt: skip


def _host_items() -> list[Item]:
    import psutil

    cpu = psutil.cpu_percent(interval=0.5)
    memory = psutil.virtual_memory().percent
    limits = f"thresholds {DEGRADED_FROM_PERCENT:g} / {UNHEALTHY_FROM_PERCENT:g} %"
    return [
        Item("host_cpu", _percent_state(cpu), f"{cpu:.0f} %", limits, {"percent": cpu}),
        Item("host_memory", _percent_state(memory), f"{memory:.0f} %", limits, {"percent": memory}),
    ]


def collect_status(
    warehouse: Path,
    *,
    tws_settings: Callable[[], Any] | None = None,
    now: dt.datetime | None = None,
    max_poll_lag: dt.timedelta = DEFAULT_MAX_POLL_LAG,
    probe_host: bool = True,
    wait_seconds: float = 10.0,
) -> Status:
    """The status: facts from the warehouse (read-only), then the health of resync's parts."""
    now = now or dt.datetime.now(dt.UTC)
    status = Status(now)
    if not warehouse.exists():
        status.items.append(Item("warehouse", CRITICAL, "missing", f"no warehouse at {warehouse}"))
    else:
        try:
            con = connect_read_only(warehouse, wait_seconds=wait_seconds)
        except (WarehouseBusy, OSError, RuntimeError) as exc:
            status.items.append(Item("warehouse", CRITICAL, "unreachable", str(exc)[:300]))
        else:
            try:
                status.items.extend(_warehouse_items(con, now, max_poll_lag))
            finally:
                con.close()
            size = _warehouse_size(warehouse)
            status.items.append(
                Item("warehouse", OK, f"reachable, {size / 1e6:.1f} MB", str(warehouse), {"bytes": size})
            )
    status.items.append(probe_tws(tws_settings))
    status.items.append(_disk_item(warehouse))
    if probe_host:
        status.items.extend(_host_items())
    return status


def render(status: Status) -> str:
    """The status as aligned text lines."""
    width = max((len(i.name) for i in status.items), default=10)
    lines = [f"resync status {status.state} at {status.checked_at:%Y-%m-%d %H:%M:%S} UTC"]
    for i in status.items:
        detail = f"  ({i.detail})" if i.detail else ""
        lines.append(f"  {i.state:<8} {i.name:<{width}}  {i.value}{detail}")
    return "\n".join(lines) + "\n"
