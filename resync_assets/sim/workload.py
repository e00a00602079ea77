"""Deterministic workload generator: the plan days, runs, failures and joblogs the simulator serves.

Everything is a pure function of (`WorkloadConfig`, production day): a day is generated on its own,
lazily, and kept in a small LRU cache, so `--jobs 12000 --days 90` (about a million runs) never has to
sit in memory at once. What the API shows of a day also depends on the time it is looked at: the
current plan is seen at `clock.now()`, an archived plan at the end of its production day (its rollover).

Ground truth that the API does not expose (failure families, incident ids, error line numbers, planted
trends) is available from `Workload.failure_truth()`, `Workload.trend_jobs()` and the CLI
(`resync sim truth`).
"""

from __future__ import annotations

import calendar
import random
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from resync_assets.common.gcpause import gc_paused
from resync_assets.sim.clock import Clock, SystemClock
from resync_assets.sim.failures import FailureKind, load_failures
from resync_assets.sim.joblog import JoblogText, render_joblog
from resync_assets.sim.topology import JobDef, StreamDef, Topology, build_topology, day_of_id, make_id

DAY = 86400.0


@dataclass(frozen=True)
class WorkloadConfig:
    """Knobs of the generated workload. Same config → same data."""

    seed: int = 42
    days: int = 90
    jobs: int = 500
    end_date: date | None = None  # the current plan's day; None → today's date of the clock
    abend_scale: float = 1.0  # multiplies every job's ABEND probability
    fail_scale: float = 1.0  # multiplies every job's FAIL (launch failure) probability
    incident_rate: float = 0.2  # probability per day of a correlated incident (DB down, disk full, ...)
    invalid_utf8_rate: float = 0.01  # share of joblogs carrying latin-1 bytes
    large_joblog_rate: float = 0.0  # share of joblogs with `large_joblog_lines` extra lines
    large_joblog_lines: int = 50_000
    cache_days: int = 8  # generated days kept in memory
    # Planted changes over time (sim/planted.py): host growth and job degradations when `plant`, a
    # runtime shift of every job from `runtime_shift_day` on.
    plant: bool = False
    plant_job_share: float = 0.06
    plant_host_share: float = 0.6
    runtime_shift_day: date | None = None
    runtime_shift: float = 0.3

    def __post_init__(self):
        if self.days < 1:
            raise ValueError("days must be >= 1")
        if self.jobs < 1:
            raise ValueError("jobs must be >= 1")
        if self.end_date is not None and not isinstance(self.end_date, date):
            raise TypeError("end_date must be a datetime.date")
        for name in ("abend_scale", "fail_scale", "incident_rate", "invalid_utf8_rate", "large_joblog_rate"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.cache_days < 1:
            raise ValueError("cache_days must be >= 1")
        if not (0 <= self.plant_job_share <= 1 and 0 <= self.plant_host_share <= 1):
            raise ValueError("plant_job_share and plant_host_share must be between 0 and 1")
        if self.runtime_shift <= -1:
            raise ValueError("runtime_shift must be > -1")


# ---------------------------------------------------------------------------------------------------
# Generated records


@dataclass
class Failure:
    """Why a run failed (ground truth)."""

    signature: FailureKind
    error_line: str
    params: dict
    incident_id: str
    is_recurring: bool
    problem_id: str
    files: tuple[str, ...]
    hosts: tuple[str, ...]
    db_objects: tuple[str, ...]


class Run:
    """One execution attempt of a job in plan (`jobruns[]` element)."""

    __slots__ = (
        "actual_ws",
        "attempt",
        "end",
        "failure",
        "held",
        "id",
        "invalid_utf8",
        "job",
        "job_number",
        "large",
        "rc",
        "ready",
        "rerun_type",
        "start",
        "status",
    )

    def __init__(
        self,
        id,
        job,
        attempt,
        rerun_type,
        job_number,
        ready,
        start,
        end,
        status,
        rc,
        failure=None,
        held=False,
        actual_ws=None,
    ):
        self.id = id
        self.job = job
        self.attempt = attempt
        self.rerun_type = rerun_type
        self.job_number = job_number
        self.ready = ready  # when it became eligible (or was submitted)
        self.start = start  # None when it never started (CANCL, SUPPR)
        self.end = end  # when it reached its final state
        self.status = status  # final internal status: SUCC ABEND FAIL CANCL SUPPR
        self.rc = rc
        self.failure = failure
        self.held = held
        self.actual_ws = actual_ws
        self.invalid_utf8 = False
        self.large = False


class JobInst:
    """A job in plan: one job definition scheduled in one job stream instance."""

    __slots__ = ("_key", "id", "jd", "pred", "runs", "sched", "stream")

    def __init__(self, id, jd, stream, pred, sched):
        self.id = id
        self.jd: JobDef = jd
        self.stream: StreamInst = stream
        self.runs: list[Run] = []
        self.pred = pred
        self.sched = sched
        self._key = None

    @property
    def key(self) -> str:
        """Plan key `WS#/FOLDER/STREAM(hhmm mm/dd/yy).JOB`."""
        if self._key is None:
            self._key = f"{self.jd.workstation}#{self.stream.key_prefix}.{self.jd.name}"
        return self._key


class StreamInst:
    """A job stream instance in the plan of one production day."""

    __slots__ = ("_prefix", "day", "id", "jobs", "sched", "sd")

    def __init__(self, id, sd, day, sched):
        self.id = id
        self.sd: StreamDef = sd
        self.day: date = day
        self.sched = sched
        self.jobs: list[JobInst] = []
        self._prefix: str | None = None

    @property
    def key_prefix(self) -> str:
        """`/FOLDER/STREAM(hhmm mm/dd/yy)` as used in job keys."""
        if self._prefix is None:
            dt = datetime.fromtimestamp(self.sched, UTC)
            self._prefix = f"{self.sd.folder}{self.sd.name}({dt:%H%M %m/%d/%y})"
        return self._prefix

    def last_activity(self) -> float:
        """Latest instant at which anything in the stream changes state."""
        return max((r.end for j in self.jobs for r in j.runs), default=self.sched)


@dataclass
class DayPlan:
    """All streams, jobs and runs generated for one production day."""

    day: date
    streams: list[StreamInst]
    runs_by_id: dict[str, Run] = field(default_factory=dict)
    jobs_by_id: dict[str, JobInst] = field(default_factory=dict)
    incidents: list[dict] = field(default_factory=list)

    def spill(self) -> list[StreamInst]:
        """Streams still changing after the day's midnight: carried forward into the next plan."""
        boundary = _epoch(self.day + timedelta(days=1))
        return [s for s in self.streams if s.last_activity() >= boundary]


@dataclass(frozen=True)
class FailureTruth:
    """Ground truth of one failed run (ABEND or FAIL)."""

    run_id: str
    job_id: str
    job_name: str
    job_stream_name: str
    workstation: str
    folder: str
    plan_id: str
    status: str
    return_code: int | None
    family: str
    signature_id: str
    error_line_number: int
    error_line: str
    files: tuple[str, ...]
    hosts: tuple[str, ...]
    db_objects: tuple[str, ...]
    incident_id: str
    is_recurring: bool
    problem_id: str
    attempt: int
    start: datetime | None
    end: datetime


def _epoch(d: date) -> float:
    return datetime.combine(d, time(0), tzinfo=UTC).timestamp()


def _is_month_end(d: date) -> bool:
    return d.day > calendar.monthrange(d.year, d.month)[1] - 2


def _runs_on(sd: StreamDef, d: date) -> bool:
    if sd.calendar == "DAILY":
        return True
    if sd.calendar == "WEEKDAYS":
        return d.weekday() < 5
    if sd.calendar == "WEEKLY":
        return d.weekday() == sd.weekday
    return d.day == calendar.monthrange(d.year, d.month)[1]


# Time-of-day load: the night batch window is busiest, which slows jobs a little.
_HOUR_FACTOR = [
    1.12,
    1.15,
    1.15,
    1.1,
    1.05,
    1.0,
    0.95,
    0.95,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    1.02,
    1.05,
    1.08,
    1.1,
    1.1,
    1.12,
]

_TABLES = [
    "FACT_SALES",
    "DIM_CUSTOMER",
    "GL_JOURNAL",
    "AP_INVOICES",
    "PAYROLL_RUN",
    "STOCK_LEVELS",
    "ORDERS",
    "SHIPMENTS",
    "CUSTOMER_DAY",
    "FX_RATES",
    "LEDGER_LINES",
    "CARD_TXN",
]
_CLASSES = [
    "com.example.batch.LoadRates",
    "com.example.fin.GlPoster",
    "com.example.dwh.AggRunner",
    "com.example.pay.SettleMain",
    "com.example.crm.ScoreJob",
]
_CMDS = ["zstd", "pigz", "jq", "aws", "sqlcmd", "rsync", "xmllint"]
_VARS = ["RUN_DATE", "BUSDATE", "EXTRACT_DIR", "TARGET_ENV", "ORACLE_SID", "INPUT_DIR"]


class Workload:
    """The generated world: topology plus lazily generated production days.

    `clock` decides which day is the current plan and what it looks like; archived plans are every
    earlier day from `start_date` on.
    """

    def __init__(self, config: WorkloadConfig | None = None, clock: Clock | None = None):
        self.config = config or WorkloadConfig()
        self.clock = clock or SystemClock()
        self.end_date = self.config.end_date or self.clock.now().date()
        self.start_date = self.end_date - timedelta(days=self.config.days - 1)
        self._cache: OrderedDict[date, DayPlan] = OrderedDict()
        self._lock = threading.Lock()
        self._day_locks: dict[date, threading.Lock] = {}

    @cached_property
    def topology(self) -> Topology:
        """The static definitions (workstations, streams, jobs)."""
        return build_topology(self.config.seed, self.config.jobs)

    @cached_property
    def _degradations(self):
        from resync_assets.sim.planted import degradations

        return degradations(self)

    @cached_property
    def _host_growth(self):
        from resync_assets.sim.planted import host_growth

        return host_growth(self)

    @cached_property
    def _job_index(self) -> dict[str, int]:
        return {jd.id: i for i, jd in enumerate(self.topology.jobs)}

    def _planted_runtime(self, jd: JobDef, d: date) -> float:
        if not (self._degradations or self.config.runtime_shift_day):
            return 1.0
        from resync_assets.sim.planted import runtime_multiplier

        return runtime_multiplier(self, self._job_index[jd.id], d)

    def _planted_abend(self, job_idx: int, d: date) -> float:
        if not self._degradations:
            return 0.0
        from resync_assets.sim.planted import extra_abend

        return extra_abend(self, job_idx, d)

    @cached_property
    def _catalogue(self):
        # The simulator's own failure texts, not the analyser's catalogue.
        return load_failures()

    @cached_property
    def _chronic(self) -> dict[int, tuple]:
        """Jobs with a chronic problem coming back every 2-4 weeks: job index → (period, phase, sig, problem)."""
        cat = self._catalogue
        out = {}
        for idx, jd in enumerate(self.topology.jobs):
            h = make_id(self.config.seed, "recurring", idx)
            if int(h[:4], 16) % 100 >= 2 or jd.every_minutes:
                continue
            fams = [f for f in jd.families if any(s.outcome == "ABEND" for s in cat.in_family(f))]
            fam = fams[int(h[14:16], 16) % len(fams)]
            sigs = [s for s in cat.in_family(fam) if s.outcome == "ABEND"]
            out[idx] = (
                14 + int(h[4:6], 16) % 15,
                int(h[9:13], 16),
                sigs[int(h[16:18], 16) % len(sigs)],
                "PRB-" + h[24:32].upper(),
            )
        return out

    # -- plans --------------------------------------------------------------------------------------

    def current_date(self) -> date:
        """Production day of the current plan (rolls over at midnight UTC of the clock)."""
        return self.clock.now().date()

    def plan_ids(self) -> list[str]:
        """Every plan id the API answers: archived days `YYYY-MM-DD`, then the current day's id (last)."""
        current = self.current_date()
        n = (current - self.start_date).days
        return [(self.start_date + timedelta(days=i)).isoformat() for i in range(max(0, n) + 1)]

    def resolve_plan(self, plan_id: str | None) -> date:
        """Map `current` / `YYYY-MM-DD` to a production day; KeyError when outside the window."""
        current = self.current_date()
        if plan_id is None or plan_id == "" or plan_id == "current":
            return current
        try:
            d = date.fromisoformat(plan_id)
        except (TypeError, ValueError):
            raise KeyError(plan_id) from None
        if len(plan_id) != 10 or d < self.start_date or d > current:
            raise KeyError(plan_id)
        return d

    def as_of(self, d: date) -> float:
        """The instant a plan is seen at: now for the current plan, its rollover for archived ones."""
        now = self.clock.timestamp()
        return min(now, _epoch(d + timedelta(days=1)))

    def plan_streams(self, d: date) -> list[StreamInst]:
        """Stream instances of the plan of day `d`: its own plus those carried forward from `d - 1`."""
        own = self.day(d).streams
        if d > self.start_date:
            return self.day(d - timedelta(days=1)).spill() + own
        return list(own)

    def day(self, d: date) -> DayPlan:
        """The generated day `d` (cached, thread-safe)."""
        with self._lock:
            plan = self._cache.get(d)
            if plan is not None:
                self._cache.move_to_end(d)
                return plan
            day_lock = self._day_locks.setdefault(d, threading.Lock())
        with day_lock:
            with self._lock:
                plan = self._cache.get(d)
                if plan is not None:
                    return plan
            plan = self._generate(d)
            with self._lock:
                self._cache[d] = plan
                self._cache.move_to_end(d)
                while len(self._cache) > self.config.cache_days:
                    self._cache.popitem(last=False)
                self._day_locks.pop(d, None)
            return plan

    def find_run(self, run_id: str) -> Run | None:
        """The run with this id, from any generated day, or None."""
        n = day_of_id(run_id)
        if n is None:
            return None
        try:
            d = date.fromordinal(n)
        except ValueError:
            return None
        if d < self.start_date - timedelta(days=1) or d > self.current_date():
            return None
        return self.day(d).runs_by_id.get(run_id)

    # -- ground truth -------------------------------------------------------------------------------

    def runs(self, plan_id: str = "current") -> list[dict]:
        """Rows of every run visible in a plan, with the status the API shows now and the final truth."""
        from resync_assets.sim.state import run_view

        d = self.resolve_plan(plan_id)
        t = self.as_of(d)
        rows = []
        for s in self.plan_streams(d):
            for j in s.jobs:
                for r in j.runs:
                    view = run_view(r, t)
                    if view is None:
                        continue
                    f = r.failure
                    rows.append(
                        {
                            "run_id": r.id,
                            "job_id": j.id,
                            "job_name": j.jd.name,
                            "job_stream_name": s.sd.name,
                            "workstation": j.jd.workstation,
                            "folder": j.jd.folder,
                            "plan_id": d.isoformat(),
                            "attempt": r.attempt,
                            "rerun_type": r.rerun_type,
                            "job_number": r.job_number,
                            "status": view[0],
                            "common_status": view[1],
                            "final_status": r.status,
                            "return_code": r.rc if r.status in ("SUCC", "ABEND") else None,
                            "start": _dt(r.start),
                            "end": _dt(r.end),
                            "duration_seconds": (r.end - r.start) if r.start is not None else None,
                            "signature_id": f.signature.signature_id if f else None,
                            "incident_id": f.incident_id if f else None,
                        }
                    )
        return rows

    def failure_truth(self, as_of: datetime | None = None) -> list[FailureTruth]:
        """Ground truth for every ABEND/FAIL run of the window that has ended by `as_of` (default now)."""
        t = (as_of or self.clock.now()).timestamp()
        out = []
        d = self.start_date
        last = min(self.current_date(), datetime.fromtimestamp(t, UTC).date())
        while d <= last:
            for s in self.day(d).streams:
                for j in s.jobs:
                    for r in j.runs:
                        if r.failure is None or r.end > t:
                            continue
                        out.append(self._truth_row(r))
            d += timedelta(days=1)
        return out

    def failure_truth_table(self, as_of: datetime | None = None):
        """`failure_truth` as a pyarrow Table."""
        import pyarrow as pa

        rows = [
            vars(x) if not hasattr(x, "__dataclass_fields__") else _asdict(x)
            for x in self.failure_truth(as_of)
        ]
        schema = pa.schema(
            [
                ("run_id", pa.string()),
                ("job_id", pa.string()),
                ("job_name", pa.string()),
                ("job_stream_name", pa.string()),
                ("workstation", pa.string()),
                ("folder", pa.string()),
                ("plan_id", pa.string()),
                ("status", pa.string()),
                ("return_code", pa.int32()),
                ("family", pa.string()),
                ("signature_id", pa.string()),
                ("error_line_number", pa.int32()),
                ("error_line", pa.string()),
                ("files", pa.list_(pa.string())),
                ("hosts", pa.list_(pa.string())),
                ("db_objects", pa.list_(pa.string())),
                ("incident_id", pa.string()),
                ("is_recurring", pa.bool_()),
                ("problem_id", pa.string()),
                ("attempt", pa.int32()),
                ("start", pa.timestamp("us", tz="UTC")),
                ("end", pa.timestamp("us", tz="UTC")),
            ]
        )
        return pa.Table.from_pylist(rows, schema=schema)

    def _truth_row(self, r: Run) -> FailureTruth:
        j = r.job
        f = r.failure
        log = self.joblog(r)
        return FailureTruth(
            run_id=r.id,
            job_id=j.id,
            job_name=j.jd.name,
            job_stream_name=j.stream.sd.name,
            workstation=j.jd.workstation,
            folder=j.jd.folder,
            plan_id=j.stream.day.isoformat(),
            status=r.status,
            return_code=r.rc,
            family=f.signature.family,
            signature_id=f.signature.signature_id,
            error_line_number=log.error_line_number,
            # The line as printed (a logger may have prefixed the tool's message).
            error_line=log.lines[log.error_line_number - 1].decode("utf-8", errors="replace")
            if log.error_line_number
            else f.error_line,
            files=f.files,
            hosts=f.hosts,
            db_objects=f.db_objects,
            incident_id=f.incident_id,
            is_recurring=f.is_recurring,
            problem_id=f.problem_id,
            attempt=r.attempt,
            start=_dt(r.start),
            end=_dt(r.end),
        )

    def trend_jobs(self) -> list[dict]:
        """Jobs carrying a planted runtime trend: name, stream, workstation and weekly growth."""
        topo = self.topology
        return [
            {
                "job_name": j.name,
                "job_stream_name": topo.streams[j.stream_idx].name,
                "folder": j.folder,
                "workstation": j.workstation,
                "weekly_growth": j.trend_weekly,
                "kind": j.kind,
            }
            for j in topo.trend_jobs()
        ]

    def incidents(self, d: date) -> list[dict]:
        """Correlated incidents planted on day `d` (ground truth)."""
        return list(self.day(d).incidents)

    # -- joblogs ------------------------------------------------------------------------------------

    def joblog(self, run: Run, as_of: float | None = None) -> JoblogText:
        """The joblog of `run` as it looks at `as_of` (default: complete)."""
        j = run.job
        ws = self.topology.workstation(run.actual_ws or j.jd.workstation)
        fraction = 1.0
        status = run.status
        if as_of is not None and run.start is not None and as_of < run.end:
            fraction = (as_of - run.start) / max(1e-9, run.end - run.start)
            status = "EXEC"
        f = run.failure
        ctx = {
            "ws": ws.name,
            "agent_type": "AGENT" if ws.type == "AGENT" else "FTA",
            "os": ws.os,
            "stream": j.stream.sd.name,
            "folder": j.stream.sd.folder,
            "job": j.jd.name,
            "sched": j.sched,
            "jsid": j.stream.id.replace("-", "")[:16].upper(),
            "user": j.jd.user,
            "script": j.jd.script,
            "job_number": run.job_number,
            "start": run.start if run.start is not None else run.ready,
            "end": run.end,
            "status": status if status != "EXEC" else run.status,
            "rc": run.rc,
            "error_line": f.error_line if f else None,
            "kind": j.jd.kind,
            "params": f.params if f else self._ordinary_params(run),
            "invalid_utf8": run.invalid_utf8,
        }
        return render_joblog(
            ctx,
            run.id,
            visible_fraction=fraction,
            large_lines=self.config.large_joblog_lines if run.large else 0,
        )

    def _ordinary_params(self, run: Run) -> dict:
        j = run.job
        low = j.jd.folder.strip("/").lower()
        day = j.stream.day.strftime("%Y%m%d")
        return {
            "db": "PRD",
            "user": j.jd.user,
            "table": f"{low.upper()}.{_TABLES[zlib.crc32(j.jd.name.encode()) % len(_TABLES)]}",
            "file": f"/data/{low}/in/{j.jd.name.lower()}_{day}.dat",
            "dir": f"/data/{low}",
            "remote_file": f"/outbound/{j.jd.name}_{day}.zip",
            "host": j.jd.db or j.jd.partner or "localhost",
            "partner": j.jd.partner or "localhost",
            "job": j.jd.name,
            "pid": 1000 + run.job_number % 60000,
        }

    # -- generation ---------------------------------------------------------------------------------

    def _generate(self, d: date) -> DayPlan:
        with gc_paused():
            return _DayGenerator(self, d).run()


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _asdict(x) -> dict:
    return {k: getattr(x, k) for k in x.__dataclass_fields__}


class _DayGenerator:
    """Builds one `DayPlan`; all randomness comes from one RNG seeded by (seed, day)."""

    def __init__(self, workload: Workload, d: date):
        self.w = workload
        self.cfg = workload.config
        self.topo = workload.topology
        self.cat = workload._catalogue
        self.d = d
        self.daynum = d.toordinal()
        self.day0 = _epoch(d)
        self.rng = random.Random(f"day:{self.cfg.seed}:{d.isoformat()}")
        self.weeks = (d - workload.start_date).days / 7.0
        self.month_end = _is_month_end(d)
        self.plan = DayPlan(d, [])
        self.incidents = self._plan_incidents()
        self.plan.incidents = [
            {k: v for k, v in i.items() if k != "signature"} | {"signature_id": i["signature"].signature_id}
            for i in self.incidents
        ]
        self._abend_sigs = {
            fam: [s for s in self.cat.in_family(fam) if s.outcome == "ABEND"] for fam in self.cat.families
        }
        self._fail_sigs = [s for s in self.cat.entries if s.outcome == "FAIL"]

    # incidents ----------------------------------------------------------------------------------

    def _plan_incidents(self) -> list[dict]:
        rng = random.Random(f"incidents:{self.cfg.seed}:{self.d.isoformat()}")
        out = []
        if rng.random() >= self.cfg.incident_rate:
            return out
        kind = rng.choice(["db_down", "db_down", "disk_full", "partner_down"])
        hour = rng.choice([0, 1, 2, 3, 4, 19, 20, 21, 22])
        start = self.day0 + hour * 3600 + rng.randint(0, 3000)
        cat = self.cat.by_id
        if kind == "db_down":
            db = rng.choice(self.topo.db_servers)
            sig = cat[
                {
                    "oracle": "ORA_12541_NO_LISTENER",
                    "db2": "DB2_SQL30081N_COMM_ERROR",
                    "postgres": "PG_CONNECTION_REFUSED",
                }[db.kind]
            ]
            target, end = db.host, start + rng.randint(20, 90) * 60
        elif kind == "disk_full":
            ws = rng.choice([w for w in self.topo.workstations if w.type in ("FTA", "AGENT")])
            sig, target, end = cat["SH_NO_SPACE_LEFT"], ws.name, start + rng.randint(60, 240) * 60
        else:
            sig = cat[rng.choice(["NET_TIMEOUT", "NET_CONNECTION_REFUSED"])]
            target, end = rng.choice(self.topo.partners), start + rng.randint(30, 120) * 60
        iid = "INC-" + make_id(self.cfg.seed, "incident", self.d.isoformat())[:8].upper()
        out.append(
            {
                "incident_id": iid,
                "kind": kind,
                "target": target,
                "start": _dt(start),
                "end": _dt(end),
                "start_ts": start,
                "end_ts": end,
                "signature": sig,
            }
        )
        return out

    def _incident_for(self, jd: JobDef, ts: float) -> dict | None:
        for inc in self.incidents:
            if not inc["start_ts"] <= ts < inc["end_ts"]:
                continue
            kind, target = inc["kind"], inc["target"]
            if kind == "db_down" and jd.db == target:
                return inc
            if (
                kind == "disk_full"
                and jd.workstation == target
                and jd.kind in ("shell", "backup", "transfer", "report", "java")
            ):
                return inc
            if kind == "partner_down" and jd.partner == target:
                return inc
        return None

    def _recurring_for(self, jd: JobDef, job_idx: int) -> tuple[FailureKind, str] | None:
        chronic = self.w._chronic.get(job_idx)
        if chronic is None:
            return None
        period, phase, sig, problem = chronic
        if (self.daynum - phase) % period != 0:
            return None
        return sig, problem

    def _new_id(self) -> str:
        # Ids come from the day's RNG (deterministic) with the day number in the first 5 hex digits,
        # so a run id alone tells which day to generate.
        r = self.rng.getrandbits(108)
        return "%05x%03x-%04x-%04x-%04x-%012x" % (  # noqa: UP031 - the fastest formatting here
            self.daynum,
            r >> 96,
            (r >> 80) & 0xFFFF,
            (r >> 64) & 0xFFFF,
            (r >> 48) & 0xFFFF,
            r & 0xFFFFFFFFFFFF,
        )

    # failures ---------------------------------------------------------------------------------

    def _params(self, j: JobInst, run_attempt: int, rng: random.Random, target: str | None = None) -> dict:
        jd = j.jd
        low = jd.folder.strip("/").lower()
        day = self.d.strftime("%Y%m%d")
        db = next((x for x in self.topo.db_servers if x.host == (target or jd.db)), None)
        table = rng.choice(_TABLES)
        schema = low.upper()
        host = target or (db.host if db else None) or jd.partner or rng.choice(self.topo.partners)
        ws = self.topo.workstation(jd.workstation)
        return {
            "script": jd.script.split()[0],
            "user": jd.user,
            "host": host,
            "ip": db.ip if db else f"10.20.{rng.randint(1, 9)}.{rng.randint(2, 250)}",
            "port": db.port if db else rng.choice([443, 22, 8443, 21]),
            "db": db.name if db else "PRD",
            "schema": schema,
            "table": f"{schema}.{table}",
            "tablespace": f"{schema}_DATA",
            "constraint": f"{schema}.PK_{table}",
            "file": f"/data/{low}/{rng.choice(['in', 'out', 'work'])}/"
            f"{jd.name.lower()}_{day}.{rng.choice(['dat', 'csv'])}",
            "dir": f"/data/{low}/{rng.choice(['in', 'out', 'work', 'archive'])}",
            "remote_file": f"/outbound/{rng.choice(['EOD', 'GL', 'RATES', 'ORDERS'])}_{day}.zip",
            "date": day,
            "n": rng.choice([128, 1024, 8192, rng.randint(2, 99999)]),
            "pid": rng.randint(1200, 65000),
            "line": rng.randint(5, 400),
            "ws": ws.name,
            "stream": j.stream.sd.name,
            "job": jd.name,
            "cmd": rng.choice(_CMDS),
            "class": rng.choice(_CLASSES),
            "ms": rng.choice([30001, 60000, 3, 120000]),
            "var": rng.choice(_VARS),
            "lockfile": f"/var/run/{low}/{jd.name.lower()}.lock",
            "url": f"https://{jd.partner or 'api.internal.example'}/v1/batch",
            "seg": rng.choice([2, 9, 12, 68]),
            "partner": jd.partner or host,
            "table_l": f"{schema}.{table}".lower(),
            "user_u": jd.user.upper(),
            "reason": rng.choice([2, 68]),
            "hex1": f"{rng.getrandbits(64):016x}",
            "hex2": f"{rng.getrandbits(64):016x}",
        }

    def _failure(
        self,
        j: JobInst,
        sig: FailureKind,
        incident_id: str,
        recurring: bool,
        problem_id: str,
        rng: random.Random,
        target: str | None = None,
        params: dict | None = None,
    ) -> Failure:
        params = params or self._params(j, 1, rng, target)
        variant = rng.randrange(len(sig.templates))
        line = sig.render(params, variant)
        # The truth names what the printed line names (an incident's target may not be printed).
        files, hosts, objs = sig.entities(params, variant)
        return Failure(sig, line, params, incident_id, recurring, problem_id, files, hosts, objs)

    def _draw_failure(self, j: JobInst, job_idx: int, start: float, attempt: int) -> Failure | None:
        rng = self.rng
        jd = j.jd
        inc = self._incident_for(jd, start)
        if inc is not None:
            return self._failure(
                j,
                inc["signature"],
                inc["incident_id"],
                False,
                inc["incident_id"],
                rng,
                target=inc["target"] if inc["kind"] != "disk_full" else None,
            )
        if attempt == 1:
            rec = self._recurring_for(jd, job_idx)
            if rec is not None and rng.random() < 0.9:
                sig, problem = rec
                return self._failure(j, sig, problem, True, problem, rng)
        u = rng.random()
        fail_p = jd.fail_p * self.cfg.fail_scale
        abend_p = jd.abend_p * self.cfg.abend_scale * (1.5 if self.month_end else 1.0)
        abend_p += self.w._planted_abend(job_idx, self.d)
        if u < fail_p:
            sig = rng.choice(self._fail_sigs)
        elif u < fail_p + abend_p:
            fams = [f for f in jd.families if self._abend_sigs.get(f)]
            fam = rng.choices(fams, weights=[jd.families[f] for f in fams])[0]
            sig = rng.choice(self._abend_sigs[fam])
        else:
            return None
        iid = f"INC-{rng.getrandbits(32):08X}"
        return self._failure(j, sig, iid, False, iid, rng)

    # runs ---------------------------------------------------------------------------------------

    def _duration(self, jd: JobDef, start: float, sched: float | None = None) -> float:
        # Time-of-day load follows the stream's scheduled hour, so a growing predecessor that pushes a
        # job later does not also change its load factor (the planted trends stay clean).
        hour = int(((sched if sched is not None else start) - self.day0) // 3600) % 24
        mult = jd.weekly[self.d.weekday()] * _HOUR_FACTOR[hour]
        if self.month_end:
            mult *= jd.month_end
        if jd.trend_weekly:
            mult *= (1.0 + jd.trend_weekly) ** self.weeks
        mult *= self.w._planted_runtime(jd, self.d)
        return min(6 * 3600.0, max(1.0, jd.baseline * mult * self.rng.lognormvariate(0.0, jd.sigma)))

    def _job_number(self, ws_type: str) -> int:
        # Dynamic agents hand out 9-10 digit job numbers, classic agents process-id-sized ones.
        if ws_type in ("AGENT", "POOL"):
            return 100_000_000 + int(self.rng.random() * 2_000_000_000)
        return 1000 + int(self.rng.random() * 9_999_000)

    def _new_run(
        self,
        j: JobInst,
        attempt: int,
        rerun_type: str,
        ready: float,
        start: float | None,
        end: float,
        status: str,
        rc,
        failure=None,
        held=False,
    ) -> Run:
        jd = j.jd
        actual = jd.workstation
        ws = self.topo.workstation(actual)
        if ws.type == "POOL" and ws.members:
            actual = ws.members[int(self.rng.random() * len(ws.members))]
        rid = self._new_id()
        run = Run(
            rid,
            j,
            attempt,
            rerun_type,
            self._job_number(ws.type) if start is not None else None,
            ready,
            start,
            end,
            status,
            rc,
            failure,
            held,
            actual,
        )
        if start is not None and status != "FAIL":
            run.invalid_utf8 = self.rng.random() < self.cfg.invalid_utf8_rate
            run.large = self.cfg.large_joblog_rate > 0 and self.rng.random() < self.cfg.large_joblog_rate
        j.runs.append(run)
        self.plan.runs_by_id[rid] = run
        return run

    def _simulate_job(self, j: JobInst, job_idx: int, ready: float) -> tuple[float | None, float | None]:
        """Create the runs of one job; return (release time for successors, cancel time) - one is None."""
        rng = self.rng
        jd = j.jd
        u = rng.random()
        if u < 0.003:
            self._new_run(j, 1, "REGULAR", ready, None, ready + 1, "SUPPR", None)
            return ready + 1, None
        if u < 0.0045:
            # Held by an operator (priority 0) for the rest of the day, cancelled after the rollover.
            cancel = max(ready + rng.uniform(2, 8) * 3600, self.day0 + DAY + rng.uniform(300, 3600))
            self._new_run(j, 1, "REGULAR", ready, None, cancel, "CANCL", None, held=True)
            return None, cancel
        t = ready
        attempt = 1
        rerun_type = "REGULAR"
        auto = operator = 0
        prev: Failure | None = None
        while True:
            # Usually launched within seconds; sometimes it waits for the workstation's job limit.
            start = t + (rng.uniform(1.0, 5.0) if rng.random() < 0.8 else rng.uniform(60.0, 1200.0))
            if prev is None:
                failure = self._draw_failure(j, job_idx, start, attempt)
            else:
                inc = self._incident_for(jd, start)
                if inc is not None and inc["incident_id"] == prev.incident_id:
                    again = True
                elif prev.signature.transient:
                    again = rng.random() < 0.15
                else:
                    again = rng.random() < (0.9 if rerun_type == "RECOVERY_RERUN" else 0.1)
                failure = (
                    self._failure(
                        j,
                        prev.signature,
                        prev.incident_id,
                        prev.is_recurring,
                        prev.problem_id,
                        rng,
                        params=prev.params,
                    )
                    if again
                    else self._draw_failure(j, job_idx, start, 99)
                )
            if failure is not None and failure.signature.outcome == "FAIL":
                self._new_run(j, attempt, rerun_type, t, start, start, "FAIL", None, failure)
                end = start
            elif failure is not None:
                end = start + self._duration(jd, start, j.sched) * rng.uniform(0.05, 1.0)
                rc = failure.signature.typical_rc if failure.signature.typical_rc is not None else 1
                if rc == 0:
                    rc = 1
                self._new_run(j, attempt, rerun_type, t, start, end, "ABEND", rc, failure)
            else:
                end = start + self._duration(jd, start, j.sched)
                self._new_run(j, attempt, rerun_type, t, start, end, "SUCC", 0)
                return end + rng.uniform(1.0, 20.0), None
            prev = failure
            attempt += 1
            outcome = failure.signature.outcome
            if jd.recovery == "RERUN" and outcome == "ABEND" and auto < 2:
                auto += 1
                t = end + rng.uniform(60, 300)
                rerun_type = "RECOVERY_RERUN"
                continue
            if jd.recovery == "CONTINUE" and outcome == "ABEND":
                return end + rng.uniform(1.0, 20.0), None
            op = end + rng.uniform(900, 3 * 3600)
            if operator < 2 and rng.random() < 0.9:
                operator += 1
                t = op
                rerun_type = "RERUN"
                continue
            return None, op

    def _simulate_every(self, j: JobInst, job_idx: int, first: float) -> None:
        jd = j.jd
        rng = self.rng
        n = max(1, int(jd.every_until_h * 60 // jd.every_minutes))
        for k in range(n):
            ready = first + k * jd.every_minutes * 60
            start = ready + rng.uniform(1.0, 5.0)
            failure = self._draw_failure(j, job_idx, start, 1 if k == 0 else 2)
            if failure is not None and failure.signature.outcome == "FAIL":
                self._new_run(
                    j,
                    k + 1,
                    "REGULAR" if k == 0 else "RERUN_EVERY",
                    ready,
                    start,
                    start,
                    "FAIL",
                    None,
                    failure,
                )
                continue
            dur = self._duration(jd, start)
            if failure is not None:
                rc = failure.signature.typical_rc or 1
                self._new_run(
                    j,
                    k + 1,
                    "REGULAR" if k == 0 else "RERUN_EVERY",
                    ready,
                    start,
                    start + dur * rng.uniform(0.05, 1.0),
                    "ABEND",
                    rc,
                    failure,
                )
            else:
                self._new_run(
                    j, k + 1, "REGULAR" if k == 0 else "RERUN_EVERY", ready, start, start + dur, "SUCC", 0
                )

    def run(self) -> DayPlan:
        topo = self.topo
        for sidx, sd in enumerate(topo.streams):
            if not _runs_on(sd, self.d):
                continue
            sched = self.day0 + sd.start_seconds
            si = StreamInst(self._new_id(), sd, self.d, sched)
            self.plan.streams.append(si)
            release: float | None = sched
            cancel: float | None = None
            for job_idx in sd.jobs:
                jd = topo.jobs[job_idx]
                j = JobInst(self._new_id(), jd, si, jd.has_predecessor, sched)
                si.jobs.append(j)
                self.plan.jobs_by_id[j.id] = j
                if jd.every_minutes:
                    self._simulate_every(j, job_idx, sched)
                    continue
                if jd.has_predecessor:
                    if cancel is not None:
                        # The predecessor was given up: the operator cancels this one too.
                        self._new_run(
                            j, 1, "REGULAR", cancel, None, cancel + self.rng.uniform(5, 60), "CANCL", None
                        )
                        continue
                    ready = release
                else:
                    ready = sched
                release, cancel = self._simulate_job(j, job_idx, ready)
        return self.plan
