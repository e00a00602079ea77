"""The static side of a simulated TWS installation: workstations, folders, job streams and jobs.

Everything here depends only on (seed, number of jobs), so every production day sees the same
definitions. Identifiers are deterministic UUID-shaped strings.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass, field

# Technology of a job: drives its script, runtime and the failure families it can hit.
KINDS = ("oracle", "db2", "postgres", "java", "shell", "transfer", "backup", "report")

_FAMILY_WEIGHTS: dict[str, dict[str, float]] = {
    "oracle": {"oracle": 0.7, "shell": 0.15, "app": 0.1, "tws": 0.05},
    "db2": {"db2": 0.7, "shell": 0.15, "app": 0.1, "tws": 0.05},
    "postgres": {"postgres": 0.7, "shell": 0.15, "app": 0.1, "tws": 0.05},
    "java": {"java": 0.65, "network": 0.15, "shell": 0.1, "tws": 0.1},
    "shell": {"shell": 0.7, "app": 0.2, "tws": 0.1},
    "transfer": {"transfer": 0.55, "network": 0.35, "shell": 0.1},
    "backup": {"shell": 0.85, "network": 0.1, "tws": 0.05},
    "report": {"java": 0.3, "oracle": 0.3, "shell": 0.3, "app": 0.1},
}

_DOMAINS = {
    # folder: (logon user, db kind, job name stems, stream name stems)
    "FIN": (
        "batchfin",
        "oracle",
        [
            "GL_EXTRACT",
            "GL_LOAD",
            "GL_POST",
            "AP_INVOICE_LOAD",
            "AR_AGING",
            "FX_RATES_IMPORT",
            "CLOSE_BALANCES",
            "TRIAL_BALANCE",
            "COST_ALLOC",
            "BANK_STMT_IMPORT",
            "VAT_REPORT",
            "LEDGER_ARCHIVE",
        ],
        ["GL_CLOSE", "AP_DAILY", "AR_DAILY", "TREASURY", "FIN_REPORTING", "MONTH_END_CLOSE"],
    ),
    "HR": (
        "batchhr",
        "db2",
        [
            "EMP_SYNC",
            "PAYROLL_CALC",
            "PAYROLL_EXPORT",
            "ABSENCE_LOAD",
            "ORG_EXPORT",
            "BENEFITS_FEED",
            "TIMESHEET_IMPORT",
            "HEADCOUNT_RPT",
        ],
        ["PAYROLL", "HR_SYNC", "TIME_ATTEND", "HR_REPORTS"],
    ),
    "OPS": (
        "opsbatch",
        "shell",
        [
            "PURGE_TMP",
            "ROTATE_LOGS",
            "BACKUP_FS",
            "BACKUP_DB",
            "CHECK_MOUNTS",
            "ARCHIVE_STDLIST",
            "CERT_CHECK",
            "CLEAN_SPOOL",
            "SYNC_CONFIG",
        ],
        ["HOUSEKEEPING", "NIGHTLY_BACKUP", "MONITORING", "OPS_MAINT"],
    ),
    "DWH": (
        "dwhload",
        "oracle",
        [
            "STG_IMPORT",
            "STG_VALIDATE",
            "DIM_CUSTOMER",
            "DIM_PRODUCT",
            "FACT_SALES",
            "FACT_STOCK",
            "AGG_DAILY",
            "AGG_MONTHLY",
            "MART_REFRESH",
            "STATS_GATHER",
            "EXPORT_BI",
        ],
        ["EOD_LOAD", "DWH_NIGHTLY", "MART_BUILD", "DWH_EXPORT"],
    ),
    "SALES": (
        "salesbat",
        "postgres",
        [
            "ORDERS_IMPORT",
            "PRICES_SYNC",
            "CRM_EXPORT",
            "LEADS_LOAD",
            "INVOICE_PRINT",
            "COMMISSION_CALC",
            "FORECAST_FEED",
        ],
        ["SALES_DAILY", "CRM_SYNC", "BILLING"],
    ),
    "LOG": (
        "logibat",
        "db2",
        [
            "STOCK_SNAPSHOT",
            "SHIPMENTS_IMPORT",
            "ROUTE_PLAN",
            "EDI_INBOUND",
            "EDI_OUTBOUND",
            "CARRIER_FEED",
            "WAREHOUSE_SYNC",
        ],
        ["LOGISTICS", "EDI_EXCHANGE", "WAREHOUSE"],
    ),
    "CRM": (
        "crmbatch",
        "postgres",
        ["CONTACT_MERGE", "CAMPAIGN_LOAD", "SCORE_CALC", "CASES_EXPORT", "SURVEY_IMPORT"],
        ["CRM_NIGHTLY", "CAMPAIGNS"],
    ),
    "PAY": (
        "paybatch",
        "oracle",
        ["SEPA_IMPORT", "SEPA_EXPORT", "CARD_SETTLE", "CHARGEBACK_LOAD", "RECON_MATCH", "FRAUD_SCORE"],
        ["PAYMENTS", "SETTLEMENT", "RECONCILIATION"],
    ),
}

_NAME_KIND_HINTS = (
    ("BACKUP", "backup"),
    ("ARCHIVE", "backup"),
    ("IMPORT", "transfer"),
    ("EXPORT", "transfer"),
    ("FEED", "transfer"),
    ("EDI_", "transfer"),
    ("RPT", "report"),
    ("REPORT", "report"),
    ("PRINT", "report"),
    ("PURGE", "shell"),
    ("ROTATE", "shell"),
    ("CHECK", "shell"),
    ("CLEAN", "shell"),
    ("SYNC_CONFIG", "shell"),
    ("CALC", "java"),
    ("SCORE", "java"),
    ("MATCH", "java"),
    ("PLAN", "java"),
)

CALENDARS = ("DAILY", "WEEKDAYS", "WEEKLY", "MONTHEND")

_SAFE_NAME = re.compile(r"[A-Za-z0-9_/.\-]+")


def make_id(*parts: object, day: int | None = None) -> str:
    """A UUID-shaped id from a hash of `parts`; with `day`, its first 5 hex digits encode that day number."""
    h = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    if day is not None:
        h = f"{day:05x}" + h[5:]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def day_of_id(value: str) -> int | None:
    """The day number encoded by `make_id(..., day=...)`, or None when `value` is not such an id."""
    if len(value) != 36 or value[8] != "-":
        return None
    try:
        return int(value[:5], 16)
    except ValueError:
        return None


@dataclass(frozen=True)
class Workstation:
    """A workstation in the plan; `host` is the machine that reports host metrics."""

    id: str
    name: str
    type: str  # FTA, AGENT, POOL, MANAGER
    os: str
    host: str
    version: str
    agent_id: str
    members: tuple[str, ...] = ()  # for pools: member workstation names
    cores: int = 4
    memory_gb: int = 16
    disk_gb: int = 500


@dataclass(frozen=True)
class DbServer:
    """A database server jobs connect to (target of correlated incidents)."""

    host: str
    ip: str
    kind: str
    port: int
    name: str


@dataclass
class JobDef:
    """A job definition inside a job stream."""

    id: str
    name: str
    folder: str
    stream_idx: int
    order: int
    workstation: str
    kind: str
    user: str
    script: str
    is_command: bool
    baseline: float  # median runtime in seconds
    sigma: float
    weekly: tuple[float, ...]  # multiplier per weekday (Mon..Sun)
    month_end: float  # multiplier on month-end days
    trend_weekly: float  # e.g. 0.05 = +5 %/week
    abend_p: float
    fail_p: float
    recovery: str  # STOP, CONTINUE, RERUN
    db: str | None  # DbServer host
    partner: str | None
    priority: int
    critical: bool
    every_minutes: int = 0  # >0: an `every` job
    every_until_h: float = 0.0
    has_predecessor: bool = True
    max_duration: float = 0.0  # seconds; 0 = no maximum duration (TWS `maxdur`)
    families: dict[str, float] = field(default_factory=dict)
    deadline_offset: float = 0.0  # seconds after the scheduled time; 0 = no deadline


@dataclass
class StreamDef:
    """A job stream definition."""

    id: str
    name: str
    folder: str
    workstation: str
    calendar: str
    weekday: int  # for WEEKLY
    start_seconds: int  # time of day of the scheduled start (UTC)
    priority: int
    jobs: list[int] = field(default_factory=list)  # indexes into Topology.jobs


@dataclass
class Topology:
    """All static definitions of one simulated installation."""

    seed: int
    workstations: list[Workstation]
    db_servers: list[DbServer]
    partners: list[str]
    streams: list[StreamDef]
    jobs: list[JobDef]
    master: Workstation

    def workstation(self, name: str) -> Workstation:
        """Look a workstation up by name."""
        return self._ws_by_name[name]

    def __post_init__(self):
        self._ws_by_name = {w.name: w for w in self.workstations}
        # The fast JSON writer inserts these names without escaping: keep them to a safe alphabet.
        names = (
            [w.name for w in self.workstations]
            + [s.name for s in self.streams]
            + [s.folder for s in self.streams]
        )
        names += [j.name for j in self.jobs]
        unsafe = [n for n in names if not _SAFE_NAME.fullmatch(n)]
        if unsafe:
            raise ValueError(f"unsafe object names: {unsafe[:5]}")

    def trend_jobs(self) -> list[JobDef]:
        """Jobs with a planted runtime trend."""
        return [j for j in self.jobs if j.trend_weekly]


def _lognormal_median(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def build_topology(seed: int, n_jobs: int) -> Topology:
    """Build the static installation for `seed` with about `n_jobs` job definitions."""
    if n_jobs < 1:
        raise ValueError("jobs must be >= 1")
    rng = random.Random(f"topology:{seed}")
    n_ws = max(5, min(120, n_jobs // 45))
    workstations: list[Workstation] = []
    master = Workstation(
        make_id(seed, "ws", "MDM"),
        "MDMPRD01",
        "MANAGER",
        "LINUX",
        "twsmdm01.dc1.example.net",
        "10.2.5.0",
        make_id(seed, "agent", "MDM"),
        cores=8,
        memory_gb=32,
        disk_gb=800,
    )
    workstations.append(master)
    n_fta = max(2, int(n_ws * 0.45))
    n_agt = max(2, n_ws - n_fta - 1)
    for i in range(1, n_fta + 1):
        os_ = rng.choice(["LINUX", "LINUX", "AIX", "UNIX"])
        prefix = {"LINUX": "FTAPRD", "AIX": "AIXPRD", "UNIX": "UNXPRD"}[os_]
        name = f"{prefix}{i:02d}"
        workstations.append(
            Workstation(
                make_id(seed, "ws", name),
                name,
                "FTA",
                os_,
                f"{name.lower()}.dc{1 + i % 2}.example.net",
                "10.2.5.0",
                make_id(seed, "agent", name),
                cores=rng.choice([4, 8, 16]),
                memory_gb=rng.choice([16, 32, 64]),
                disk_gb=rng.choice([300, 500, 1000]),
            )
        )
    agents = []
    for i in range(1, n_agt + 1):
        os_ = "WINDOWS" if i % 5 == 0 else "LINUX"
        name = f"{'WINAGT' if os_ == 'WINDOWS' else 'LNXAGT'}{i:02d}"
        agents.append(name)
        workstations.append(
            Workstation(
                make_id(seed, "ws", name),
                name,
                "AGENT",
                os_,
                f"{name.lower()}.dc{1 + i % 2}.example.net",
                "10.2.5.0",
                make_id(seed, "agent", name),
                cores=rng.choice([4, 8]),
                memory_gb=rng.choice([16, 32]),
                disk_gb=rng.choice([200, 500]),
            )
        )
    linux_agents = [a for a in agents if a.startswith("LNX")]
    pool_members = tuple(linux_agents[: max(2, len(linux_agents) // 2)])
    pool = Workstation(
        make_id(seed, "ws", "POOLDWH01"),
        "POOLDWH01",
        "POOL",
        "LINUX",
        "pooldwh01.dc1.example.net",
        "10.2.5.0",
        make_id(seed, "agent", "POOLDWH01"),
        members=pool_members,
    )
    workstations.append(pool)

    db_servers = [
        DbServer("oraprd01.dc1.example.net", "10.20.4.11", "oracle", 1521, "FINPRD"),
        DbServer("oraprd02.dc2.example.net", "10.20.4.12", "oracle", 1521, "DWHPRD"),
        DbServer("db2prd01.dc1.example.net", "10.20.4.17", "db2", 50000, "HRPRD"),
        DbServer("pgprd01.dc2.example.net", "10.20.5.31", "postgres", 5432, "salesdb"),
    ]
    partners = [
        "sftp.partner-bank.example",
        "api.carrier.example",
        "edi.retail-hub.example",
        "sftp.payroll-provider.example",
    ]

    job_hosts = [w.name for w in workstations if w.type in ("FTA", "AGENT", "POOL")]
    folders = list(_DOMAINS)
    streams: list[StreamDef] = []
    jobs: list[JobDef] = []
    counters: dict[str, int] = {}
    backup_trends = 0
    while len(jobs) < n_jobs:
        folder = folders[len(streams) % len(folders)] if len(streams) < len(folders) else rng.choice(folders)
        user, dbkind, job_stems, stream_stems = _DOMAINS[folder]
        stem = rng.choice(stream_stems)
        counters[stem] = counters.get(stem, 0) + 1
        sname = stem if counters[stem] == 1 else f"{stem}_{counters[stem]:02d}"
        if stem == "MONTH_END_CLOSE":
            calendar = "MONTHEND"
        else:
            calendar = rng.choices(CALENDARS, weights=[0.58, 0.28, 0.11, 0.03])[0]
        ws = "POOLDWH01" if folder == "DWH" and rng.random() < 0.5 else rng.choice(job_hosts)
        night = rng.random() < 0.7
        hour = rng.choice([18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5]) if night else rng.randint(6, 17)
        start_seconds = hour * 3600 + rng.choice([0, 5, 10, 15, 20, 30, 40, 45]) * 60
        if hour >= 20:
            # Keep late streams short enough that they never spill more than one day.
            start_seconds = min(start_seconds, 23 * 3600 + 30 * 60)
        sdef = StreamDef(
            make_id(seed, "js", folder, sname),
            sname,
            f"/{folder}/",
            ws,
            calendar,
            rng.randrange(7),
            start_seconds,
            rng.choice([10, 10, 20, 50, 101]),
        )
        streams.append(sdef)
        is_every_stream = folder == "OPS" and rng.random() < 0.25
        n_in_stream = 1 if is_every_stream else rng.randint(3, 12)
        n_in_stream = min(n_in_stream, n_jobs - len(jobs))
        for order in range(n_in_stream):
            jstem = rng.choice(job_stems)
            kind = dbkind
            for hint, hkind in _NAME_KIND_HINTS:
                if hint in jstem:
                    kind = hkind
                    break
            if kind == dbkind and rng.random() < 0.2:
                kind = rng.choice(["java", "shell"])
            jname = f"{jstem}_{order + 1:02d}"
            jws = ws if rng.random() < 0.85 else rng.choice(job_hosts)
            low = folder.lower()
            script_name = jstem.lower()
            if kind == "java":
                script = (
                    f"/apps/{low}/bin/run_java.sh com.example.{low}.{script_name.title().replace('_', '')}"
                )
            elif kind in ("oracle", "db2", "postgres"):
                script = f"/apps/{low}/bin/{script_name}.sh -env PRD"
            elif kind == "transfer":
                script = f"/apps/{low}/bin/xfer_{script_name}.sh"
            elif kind == "backup":
                script = f"/apps/ops/bin/{script_name}.sh --target /backup/{low}"
            else:
                script = f"/apps/{low}/bin/{script_name}.sh"
            is_command = kind == "shell" and rng.random() < 0.15
            if is_command:
                script = rng.choice(
                    ["find /data/tmp -type f -mtime +7 -delete", "df -h /data", "sleep 30", "ls -l /data/in"]
                )
            base_lo, base_hi = {
                "oracle": (120, 2400),
                "db2": (120, 1800),
                "postgres": (60, 1200),
                "java": (60, 1800),
                "shell": (5, 600),
                "transfer": (10, 300),
                "backup": (1200, 5400),
                "report": (60, 900),
            }[kind]
            weekly = [1.0] * 7
            if rng.random() < 0.6:
                weekly[0] = rng.uniform(1.2, 1.45)  # Monday catches up the weekend backlog
                weekly[5] = weekly[6] = rng.uniform(0.7, 0.85)
            trend = 0.0
            if kind == "backup" and backup_trends < 3:
                trend = 0.05
                backup_trends += 1
            elif rng.random() < 0.01:
                trend = rng.choice([0.02, 0.03])
            db = None
            if kind in ("oracle", "db2", "postgres", "report"):
                candidates = [d for d in db_servers if d.kind == (kind if kind != "report" else "oracle")]
                db = rng.choice(candidates).host
            partner = rng.choice(partners) if kind in ("transfer", "java") else None
            every = 0
            until_h = 0.0
            if is_every_stream:
                every = rng.choice([30, 60, 120])
                until_h = rng.uniform(4, 10)
            jobs.append(
                JobDef(
                    id=make_id(seed, "jd", folder, sname, jname),
                    name=jname,
                    folder=f"/{folder}/",
                    stream_idx=len(streams) - 1,
                    order=order,
                    workstation=jws,
                    kind=kind,
                    user=user,
                    script=script,
                    is_command=is_command,
                    # Trend jobs start small enough that months of growth stay under the runtime cap.
                    baseline=(_lognormal_median(rng, base_lo, base_hi) if not every else rng.uniform(5, 60))
                    * (0.4 if trend else 1.0),
                    sigma=rng.uniform(0.12, 0.3),
                    weekly=tuple(weekly),
                    month_end=rng.uniform(1.6, 2.2) if folder in ("FIN", "DWH", "PAY") else 1.0,
                    trend_weekly=trend,
                    abend_p=rng.choice([0.005, 0.01, 0.015, 0.02, 0.025, 0.04]),
                    fail_p=rng.choice([0.0, 0.001, 0.002, 0.004]),
                    recovery=rng.choices(["STOP", "RERUN", "CONTINUE"], weights=[0.6, 0.25, 0.15])[0],
                    db=db,
                    partner=partner,
                    priority=rng.choice([10, 10, 10, 20, 50]),
                    critical=rng.random() < 0.05,
                    every_minutes=every,
                    every_until_h=until_h,
                    has_predecessor=order > 0 and rng.random() < 0.85,
                    max_duration=0.0,
                    families=dict(_FAMILY_WEIGHTS[kind]),
                )
            )
            _plant_time_restrictions(seed, jobs[-1])
            sdef.jobs.append(len(jobs) - 1)
    return Topology(seed, workstations, db_servers, partners, streams, jobs, master)


def _plant_time_restrictions(seed: int, jd: JobDef) -> None:
    """Give some jobs a deadline and a maximum duration, as operators define them (`deadline`,
    `maxdur`); drawn from a hash of the job, so the rest of the world does not change."""
    if jd.every_minutes:
        return
    h = make_id(seed, "time-restrictions", jd.id)
    if int(h[:2], 16) < 0x50:  # ~30 % of jobs: a deadline a few hours after the scheduled time
        jd.deadline_offset = 3600.0 * (2 + int(h[2:4], 16) % 5)
    if int(h[4:6], 16) < 0x40:  # ~25 %: a maximum duration of about 1.5-2.5 times the usual run time
        jd.max_duration = 60.0 * max(5, round(jd.baseline * (1.5 + (int(h[6:8], 16) % 100) / 100) / 60))
