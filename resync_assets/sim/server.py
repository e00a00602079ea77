"""The embedded TWS REST API v2 simulator: a threaded HTTP/1.1 server on loopback.

    with SimulatorServer(WorkloadConfig(seed=7, days=5, jobs=60), port=0, clock=ManualClock(now)) as sim:
        sim.base_url          # http://127.0.0.1:<port>; the API lives under /twsd/api/v2/
        sim.workload          # ground truth
        sim.set_faults(FaultConfig.parse("503=0.1"))

Serves the 17 GET operations of the analytics subset of the spec with its paths, parameter names,
media types and status codes. Auth: HTTP Basic (`user`/`password`) or `Authorization: Bearer <token>`.
Plans: `plan_id=current` (the clock's day) or an archived production day `YYYY-MM-DD` in the window;
every object's `planId` is that day. Faults (see `faults.py`) hit `/twsd/` routes only.

Joblogs of runs that have not started yet answer 404. `follow=true` on a running run streams new lines
(chunked) as the clock moves and closes after the trailer; on a finished run it returns the whole log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from resync_assets.sim.clock import Clock, SystemClock
from resync_assets.sim.faults import FaultConfig, FaultInjector
from resync_assets.sim.oql import OqlError
from resync_assets.sim.render import Renderer
from resync_assets.sim.state import DONE, EXEC, run_phase, run_view
from resync_assets.sim.views import PlanIndexCache, parse_oql, plan_filter_regex
from resync_assets.sim.workload import Workload, WorkloadConfig

__all__ = ["FaultConfig", "SimulatorServer"]

log = logging.getLogger(__name__)

API = "/twsd/api/v2"
_PLAN_ID_RE = re.compile(rb'"planId":"(\d{4}-\d{2}-\d{2})"')
MAX_LIMIT = 100_000
INT32_MAX = 2**31 - 1  # integer parameters are int32 in the spec
_DEFAULT_LIMIT = 10_000
_FOLLOW_MAX_SECONDS = 3600.0
_SCOPES = {
    "WHOLE",
    "WHOLE_NO_JOB_DEFINITIONS_AND_NO_DEPENDENCIES",
    "WHOLE_NO_JOB_DEFINITIONS",
    "WHOLE_NO_DEPENDENCIES",
    "WHOLE_NO_PROPS",
    "SELF_SERVICE_CATALOG",
    "WHOLE_LAST_RUN_ONLY",
}


# What the `scope` header trims from a job in plan (names from the spec; semantics as documented there).
_VARIANTS = {
    "WHOLE_NO_JOB_DEFINITIONS": "nodef",
    "WHOLE_NO_JOB_DEFINITIONS_AND_NO_DEPENDENCIES": "nodef",
    "WHOLE_LAST_RUN_ONLY": "last",
}


class ApiError(Exception):
    """An error answered as `{code, messageCode, message}` JSON."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


@dataclass
class Response:
    """A complete HTTP response."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)


@dataclass
class FollowStream:
    """A chunked joblog stream (`follow=true` on a running run)."""

    run: object
    content_only: bool
    from_line: int | None
    to_line: int | None


def _bad(message: str, code: str = "AWSJSY101E") -> ApiError:
    return ApiError(400, code, f"{code} {message}")


def _not_found(message: str) -> ApiError:
    return ApiError(404, "AWSJSY404E", f"AWSJSY404E {message}")


class SimulatorServer:
    """Serve a generated workload over the TWS REST API v2 (see the module docstring)."""

    def __init__(
        self,
        config: WorkloadConfig | Workload | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        user: str = "resync",
        password: str = "resync-pw",
        token: str | None = "resync-token",
        faults: FaultConfig | None = None,
        clock: Clock | None = None,
        follow_poll: float = 0.05,
        prefetch: bool = True,
        plan_ids: str = "date",
    ):
        if plan_ids not in ("date", "uuid"):
            raise ValueError(
                "plan_ids must be 'date' (the production day, the simulator's default) or 'uuid'"
            )
        self.plan_id_mode = plan_ids
        self._plan_days: dict[str, str] = {}
        if isinstance(config, Workload):
            self.workload = config
            self.clock = config.clock if clock is None else clock
            if clock is not None:
                config.clock = clock
        else:
            self.clock = clock or SystemClock()
            self.workload = Workload(config or WorkloadConfig(), self.clock)
        self.host = host
        self.port = port
        self._user = user
        self._password = password
        self._token = token
        self._faults = FaultInjector(faults)
        self.follow_poll = follow_poll
        self._renderer: Renderer | None = None
        self._plans: PlanIndexCache | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self._static_cache: dict = {}
        self._lock = threading.Lock()
        self._prefetching: dict = {}
        self.prefetch_enabled = prefetch

    # -- plan ids -----------------------------------------------------------------------------------

    def plan_uuid(self, day) -> str:
        """The spec-shaped (UUID) plan id of production day ``day`` in ``--plan-ids uuid`` mode."""
        digest = hashlib.blake2b(
            f"plan|{self.workload.config.seed}|{day}".encode(), digest_size=16
        ).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"

    def plan_day(self, plan_id: str) -> str | None:
        """The production day (``YYYY-MM-DD``) of a UUID plan id, or None when no plan has it."""
        day = self._plan_days.get(plan_id)
        if day is None:
            d, last = self.workload.start_date, self.workload.current_date()
            while d <= last:
                self._plan_days.setdefault(self.plan_uuid(d.isoformat()), d.isoformat())
                d += timedelta(days=1)
            day = self._plan_days.get(plan_id)
        return day

    def _uuid_plan_ids(self, body: bytes) -> bytes:
        return _PLAN_ID_RE.sub(
            lambda m: b'"planId":"%s"' % self.plan_uuid(m.group(1).decode()).encode(), body
        )

    # -- lifecycle ----------------------------------------------------------------------------------

    @property
    def renderer(self) -> Renderer:
        """The JSON renderer (built lazily with the topology)."""
        if self._renderer is None:
            self._renderer = Renderer(self.workload.topology, self.workload.config.seed)
        return self._renderer

    @property
    def plans(self) -> PlanIndexCache:
        """Cache of served plan indexes."""
        if self._plans is None:
            self._plans = PlanIndexCache(
                self.workload, self.renderer, max(2, self.workload.config.cache_days)
            )
        return self._plans

    def start(self) -> SimulatorServer:
        """Bind and serve in a background thread; returns self."""
        if self._httpd is not None:
            return self
        self.renderer  # noqa: B018 - build the topology before the first request
        handler = type("BoundHandler", (_Handler,), {"sim": self})
        httpd = _Server((self.host, self.port), handler)
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self.stopping.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"resync-sim:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (open follow streams end)."""
        self.stopping.set()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://host:port` of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """`base_url` + `/twsd/api/v2`."""
        return self.base_url + API

    @property
    def faults(self) -> FaultConfig:
        """The active fault configuration."""
        return self._faults.config

    def set_faults(self, faults: FaultConfig | None) -> None:
        """Change the injected faults at runtime (None → no faults)."""
        self._faults.set_config(faults or FaultConfig())

    def warm(self, days: int | None = None) -> int:
        """Build, serialize and compact the `days` most recent archived plans; returns their runs.

        Compacted plans keep only compressed JSON (about 5 MB per 10k runs), so a large window can be
        held warm; the plan cache grows to hold them.
        """
        n = days or self.workload.config.cache_days
        current = self.workload.current_date()
        available = len(self.workload.plan_ids()) - 1
        n = min(n, available)
        self.plans.capacity = max(self.plans.capacity, n + 2)
        total = 0
        for k in range(n, 0, -1):
            d = current - timedelta(days=k)
            idx = self.plans.get(d, True)
            total += idx.run_count
            idx.compact(self.workload.as_of(d))
        return total

    def await_prefetch(self, d, timeout: float = 600.0) -> None:
        """Wait while plan `d` is being prefetched, so a request does not serialize it a second time."""
        with self._lock:
            done = self._prefetching.get(d)
        if done is not None:
            done.wait(timeout)

    def prefetch(self, d) -> None:
        """Build and serialize plan `d` in the background (a client paging day by day asks for it next)."""
        if not self.prefetch_enabled or d > self.workload.current_date():
            return
        archived = d != self.workload.current_date()
        with self._lock:
            if d in self._prefetching or self.plans.has(d, archived):
                return
            done = self._prefetching[d] = threading.Event()

        def work():
            try:
                idx = self.plans.get(d, archived)
                idx.warm(self.workload.as_of(d) if archived else self.clock.timestamp())
            except Exception:
                log.exception("prefetch of %s failed", d)
            finally:
                with self._lock:
                    self._prefetching.pop(d, None)
                done.set()

        threading.Thread(target=work, name=f"resync-sim-prefetch:{d}", daemon=True).start()

    # -- auth ---------------------------------------------------------------------------------------

    def _authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and self._token:
            return hmac.compare_digest(value.encode(), self._token.encode())
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False
            user, sep, password = decoded.partition(":")
            return (
                bool(sep)
                and hmac.compare_digest(user.encode(), self._user.encode())
                and hmac.compare_digest(password.encode(), self._password.encode())
            )
        return False

    # -- routing ------------------------------------------------------------------------------------

    def handle(self, path: str, params: dict[str, str], raw_query: list, headers) -> Response | FollowStream:
        """Route one authenticated API GET."""
        if not path.startswith(API + "/"):
            raise _not_found(f"The resource {path} was not found.")
        sub = path[len(API) :].rstrip("/")
        # Ids in the path are percent-encoded by clients (a `/` or a space in an id): decode each
        # segment after splitting, so an encoded `/` stays inside its segment.
        parts = [unquote(part) for part in sub.split("/")[1:]]
        ctx = _Ctx(self, params, raw_query, headers, path)
        if parts == ["engine", "info"]:
            return ctx.json(self.renderer.engine_info())
        if parts[:2] == ["plan", "job"]:
            rest = parts[2:]
            if not rest:
                return ctx.plan_jobs()
            if rest == ["count"]:
                return ctx.job_count()
            if rest == ["issues"]:
                return ctx.job_issues()
            if rest == ["joblog"]:
                return ctx.joblog_by_filter()
            if len(rest) == 3 and rest[0] == "run" and rest[2] == "joblog":
                return ctx.joblog_by_run(rest[1])
            if len(rest) == 1:
                return ctx.job_by_id(rest[0])
            if len(rest) == 3 and rest[1:] == ["model", "description"]:
                return ctx.job_model_description(rest[0])
        if parts[:2] == ["plan", "jobstream"]:
            rest = parts[2:]
            if not rest:
                return ctx.plan_streams()
            if len(rest) == 1:
                return ctx.stream_by_id(rest[0])
            if len(rest) == 3 and rest[1:] == ["model", "description"]:
                return ctx.stream_model_description(rest[0])
        if parts[:2] == ["plan", "workstation"]:
            rest = parts[2:]
            if not rest:
                return ctx.workstations()
            if len(rest) == 1:
                return ctx.workstation_by_id(rest[0])
        if parts[:2] == ["model", "jobdefinition"]:
            rest = parts[2:]
            if not rest:
                return ctx.model_list("jobdefinition")
            if len(rest) == 1:
                return ctx.model_by_id("jobdefinition", rest[0])
        if parts[:2] == ["model", "jobstream"]:
            rest = parts[2:]
            if not rest:
                return ctx.model_list("modeljobstream")
            if len(rest) == 1:
                return ctx.model_by_id("modeljobstream", rest[0])
        raise _not_found(f"The resource {path} was not found.")

    def static_items(self, kind: str) -> tuple[list, list[bytes]]:
        """Sorted objects and their serialized JSON for model objects."""
        with self._lock:
            hit = self._static_cache.get(kind)
            if hit is not None:
                return hit
        topo = self.workload.topology
        if kind == "jobdefinition":
            objs = sorted(topo.jobs, key=lambda j: j.id)
            items = [orjson.dumps(self.renderer.model_job_definition(j)) for j in objs]
        else:
            objs = sorted(topo.streams, key=lambda s: s.id)
            items = [orjson.dumps(self.renderer.model_job_stream(s)) for s in objs]
        with self._lock:
            self._static_cache[kind] = (objs, items)
        return objs, items


class _Ctx:
    """One request's parameters plus the operation implementations."""

    def __init__(self, sim: SimulatorServer, params: dict, raw_query: list, headers, path: str):
        self.sim = sim
        self.params = params
        self.raw_query = raw_query
        self.headers = headers
        self.path = path
        self.workload = sim.workload

    # parameters -----------------------------------------------------------------------------

    def _int(self, name: str, default: int | None, lo: int = 0, hi: int = INT32_MAX) -> int | None:
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise _bad(f"The value of the parameter {name!r} is not a valid integer.") from None
        if value < lo or value > hi:
            rng = f"{lo}..{hi}"
            raise _bad(f"The value of the parameter {name!r} must be within {rng}.")
        return value

    def _bool_text(self, name: str) -> bool:
        raw = self.params.get(name)
        if raw is None or raw == "":
            return False
        low = raw.lower()
        if low not in ("true", "false"):
            raise _bad(f"The value of the parameter {name!r} must be 'true' or 'false'.")
        return low == "true"

    def _include_count(self) -> bool:
        raw = self.headers.get("Include-Count")
        if raw is None or raw.strip() == "":
            return True
        low = raw.strip().lower()
        if low not in ("true", "false"):
            raise _bad("The value of the header 'Include-Count' must be 'true' or 'false'.")
        return low == "true"

    def _zone(self):
        raw = self.headers.get("Local-Timezone")
        if not raw:
            return UTC
        try:
            return ZoneInfo(raw.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise _bad(
                f"The time zone {raw.strip()!r} in the header 'Local-Timezone' is not valid."
            ) from None

    def _scope(self) -> str:
        raw = self.headers.get("scope")
        if raw is None or raw == "":
            return "WHOLE_NO_DEPENDENCIES"
        if raw not in _SCOPES:
            raise _bad(f"The value {raw!r} of the header 'scope' is not valid.")
        return raw

    def _oql(self, kind: str):
        try:
            return parse_oql(self.params.get("oql"), kind, self._zone())
        except OqlError as exc:
            raise _bad(f"The OQL filter is not valid: {exc}", "AWSJSY102E") from None

    def _plan(self, default_current: bool = True):
        plan_id = self.params.get("plan_id")
        if plan_id is None and not default_current:
            plan_id = "current"
        try:
            d = self.workload.resolve_plan(plan_id)
        except KeyError:
            raise _not_found(
                f"The plan {plan_id!r} was not found. Use 'current' or a production day "
                f"YYYY-MM-DD between {self.workload.start_date} and "
                f"{self.workload.current_date()}."
            ) from None
        current = self.workload.current_date()
        archived = d != current
        if archived:
            self.sim.await_prefetch(d)
        idx = self.sim.plans.get(d, archived)
        if archived:
            self.sim.prefetch(d + timedelta(days=1))
        return idx, self.workload.as_of(d)

    def _accept_text(self) -> bool:
        accept = self.headers.get("Accept") or ""
        return "text/plain" in accept and "application/json" not in accept and "*/*" not in accept

    def json(self, obj, text_ok: bool = False) -> Response:
        """A 200 JSON response (text/plain when the client only accepts that and `text_ok`)."""
        ctype = "text/plain" if text_ok and self._accept_text() else "application/json"
        return Response(200, orjson.dumps(obj), ctype)

    def _page(self, items_bytes: list[bytes], total: int, offset: int, limit: int, text_ok: bool) -> Response:
        parts = [b"{"]
        if self._include_count():
            parts.append(b'"count":%d,' % total)
        base = self.sim.base_url + self.path
        keep = [(k, v) for k, v in self.raw_query if k not in ("offset", "limit")]
        if limit > 0 and offset + len(items_bytes) < total:
            nxt = base + "?" + urlencode(keep + [("limit", limit), ("offset", offset + limit)])
            parts.append(b'"next":' + orjson.dumps(nxt) + b",")
        if limit > 0 and offset > 0:
            prev = base + "?" + urlencode(keep + [("limit", limit), ("offset", max(0, offset - limit))])
            parts.append(b'"previous":' + orjson.dumps(prev) + b",")
        parts.append(b'"results":[')
        parts.append(b",".join(items_bytes))
        parts.append(b"]}")
        ctype = "text/plain" if text_ok and self._accept_text() else "application/json"
        return Response(200, b"".join(parts), ctype)

    # jobs -------------------------------------------------------------------------------------

    def plan_jobs(self) -> Response:
        """GET /plan/job: paged JobInPlanV2 (oql, plan_filter, plan_id, scope)."""
        limit = self._int("limit", _DEFAULT_LIMIT, 0, MAX_LIMIT)
        offset = self._int("offset", 0, 0)
        variant = _VARIANTS.get(self._scope(), "full")
        query = self._oql("job")
        idx, t = self._plan()
        positions = idx.select_jobs(t, query, self.params.get("plan_filter") or None)
        page = positions[offset : offset + limit]
        return self._page(idx.page_bytes(page, t, variant), len(positions), offset, limit, True)

    def job_by_id(self, job_id: str) -> Response:
        """GET /plan/job/{job_id}."""
        idx, t = self._plan()
        i = idx.position(job_id)
        if i is None:
            raise _not_found(f"The job {job_id!r} was not found in the plan {idx.plan_id}.")
        ctype = "text/plain" if self._accept_text() else "application/json"
        return Response(200, idx.job_bytes(i, t), ctype)

    def job_model_description(self, job_id: str) -> Response:
        """GET /plan/job/{job_id}/model/description: the job definition."""
        idx, _ = self._plan()
        i = idx.position(job_id)
        if i is None:
            raise _not_found(f"The job {job_id!r} was not found in the plan {idx.plan_id}.")
        return self.json(self.sim.renderer.model_job_definition(idx.jobs[i].jd)["def"], text_ok=True)

    def job_count(self) -> Response:
        """GET /plan/job/count: GroupedCountResponse, groups keyed `value;value` by grouping_filters."""
        plan_filter = self.params.get("plan_filter")
        if not plan_filter:
            raise _bad("The parameter 'plan_filter' is required (for example /@/@#/@/@.@).")
        grouping = [g.strip() for g in (self.params.get("grouping_filters") or "").split(",") if g.strip()]
        for g in grouping:
            if g not in ("workstation", "status", "folder"):
                raise _bad(f"The grouping filter {g!r} is not valid; use workstation, status, folder.")
        idx, t = self._plan()
        positions = idx.select_jobs(t, None, plan_filter)
        grouped: dict[str, int] = {}
        if grouping:
            for i in positions:
                j = idx.jobs[i]
                status = "HOLD"
                for r in j.runs:
                    v = run_view(r, t)
                    if v is None:
                        break
                    status = v[0]
                values = {"workstation": j.jd.workstation, "status": status, "folder": j.jd.folder}
                key = ";".join(values[g] for g in grouping)
                grouped[key] = grouped.get(key, 0) + 1
        return self.json(
            {"count": len(positions), "groupedCount": dict(sorted(grouped.items()))}, text_ok=True
        )

    def job_issues(self) -> Response:
        """GET /plan/job/issues: one issue per job whose last run is ABEND or FAIL."""
        query = self._oql("job")
        idx, t = self._plan()
        issues = []
        for i in idx.select_jobs(t, query, self.params.get("plan_filter") or None):
            j = idx.jobs[i]
            last = None
            for r in j.runs:
                v = run_view(r, t)
                if v is None:
                    break
                last = (r, v)
            if last and last[1][0] in ("ABEND", "FAIL"):
                r, v = last
                rc = f" with return code {r.rc}" if r.rc is not None else ""
                issues.append(
                    {
                        "id": j.id,
                        "issueType": f"JOB_{v[0]}",
                        "issueMessage": f"The job {j.jd.workstation}#{j.stream.sd.folder}{j.stream.sd.name}."
                        f"{j.jd.name} ended in {v[0]}{rc}.",
                    }
                )
        return self.json({"issues": issues}, text_ok=True)

    # joblogs ----------------------------------------------------------------------------------

    def _joblog_params(self):
        content_only = self._bool_text("contentOnly")
        follow = self._bool_text("follow")
        from_line = self._int("from_line", None, 1)
        to_line = self._int("to_line", None, 1)
        if from_line is not None and to_line is not None and to_line < from_line:
            raise _bad("The parameter 'to_line' must not be lower than 'from_line'.")
        return content_only, follow, from_line, to_line

    def joblog_by_run(self, run_id: str):
        """GET /plan/job/run/{run_id}/joblog."""
        content_only, follow, from_line, to_line = self._joblog_params()
        if self.params.get("plan_id"):
            self._plan()
        run = self.workload.find_run(run_id)
        if run is None:
            raise _not_found(f"The job run {run_id!r} was not found.")
        return self._joblog(run, content_only, follow, from_line, to_line)

    def joblog_by_filter(self):
        """GET /plan/job/joblog: the joblog of the one run the oql/plan_filter selects."""
        content_only, follow, from_line, to_line = self._joblog_params()
        query = self._oql("job")
        plan_filter = self.params.get("plan_filter") or None
        if query is None and plan_filter is None:
            raise _bad("Specify 'oql' or 'plan_filter' to select the job whose log is wanted.")
        idx, t = self._plan()
        positions = idx.select_jobs(t, None, plan_filter) if plan_filter else range(idx.n_jobs)
        matches = []
        for i in positions:
            obj = idx.job_dict(i, t)
            runs = obj.get("jobruns") or []
            if query is None or query.predicate is None:
                if runs:
                    matches.append((i, runs[-1]["id"]))
                continue
            for run in runs:
                view = dict(obj, jobruns=[run])
                if query.matches(view):
                    matches.append((i, run["id"]))
        jobs = {i for i, _ in matches}
        if not matches:
            raise _not_found("No job run matches the filter.")
        if len(jobs) > 1:
            raise _bad(f"The filter matches {len(jobs)} jobs; select exactly one job.", "AWSJSY103E")
        run = self.workload.find_run(matches[-1][1])
        return self._joblog(run, content_only, follow, from_line, to_line)

    def _joblog(self, run, content_only, follow, from_line, to_line):
        t = self.sim.clock.timestamp()
        phase = run_phase(run, t)
        if phase is None or (phase != DONE and phase != EXEC) or run.start is None:
            raise _not_found(f"The job log of the run {run.id!r} is not available: the run has not started.")
        if phase == EXEC and follow:
            return FollowStream(run, content_only, from_line, to_line)
        log = self.workload.joblog(run, as_of=t if phase == EXEC else None)
        lines = _window(log, content_only, from_line, to_line)
        body = b"".join(line + b"\n" for line in lines)
        return Response(200, body, "text/plain; charset=utf-8")

    # job streams ------------------------------------------------------------------------------

    def plan_streams(self) -> Response:
        """GET /plan/jobstream: paged JobStreamInPlanV2 (jobs embedded with scope WHOLE)."""
        limit = self._int("limit", _DEFAULT_LIMIT, 0, MAX_LIMIT)
        offset = self._int("offset", 0, 0)
        scope = self._scope()
        query = self._oql("jobstream")
        self._bool_text("submitted_by_me") if self.params.get("submitted_by_me") else None
        idx, t = self._plan()
        rx = plan_filter_regex(self.params["plan_filter"]) if self.params.get("plan_filter") else None
        objs = []
        for s in idx.streams:
            if rx is not None and not rx.fullmatch(f"/{s.sd.workstation}#{s.sd.folder}{s.sd.name}"):
                continue
            jobs = None
            if scope == "WHOLE":
                jobs = [idx.job_dict(idx.position(j.id), t) for j in s.jobs]
            obj = self.sim.renderer.stream(s, t, idx.plan_id, idx.archived, jobs)
            if query is None or query.matches(obj):
                objs.append(obj)
        if query is not None and query.order:
            objs = query.sort(objs)
        page = objs[offset : offset + limit]
        return self._page([orjson.dumps(o) for o in page], len(objs), offset, limit, False)

    def _stream(self, stream_id: str):
        idx, t = self._plan()
        i = idx.stream_pos.get(stream_id)
        if i is None:
            raise _not_found(f"The job stream {stream_id!r} was not found in the plan {idx.plan_id}.")
        return idx, t, idx.streams[i]

    def stream_by_id(self, stream_id: str) -> Response:
        """GET /plan/jobstream/{jobstream_id} (with its jobs)."""
        idx, t, s = self._stream(stream_id)
        jobs = [idx.job_dict(idx.position(j.id), t) for j in s.jobs]
        return self.json(self.sim.renderer.stream(s, t, idx.plan_id, idx.archived, jobs))

    def stream_model_description(self, stream_id: str) -> Response:
        """GET /plan/jobstream/{jobstream_id}/model/description."""
        _, _, s = self._stream(stream_id)
        return self.json(self.sim.renderer.model_job_stream(s.sd)["def"])

    # workstations -----------------------------------------------------------------------------

    def workstations(self) -> Response:
        """GET /plan/workstation: paged WorkstationInPlanV2 of the current plan."""
        limit = self._int("limit", _DEFAULT_LIMIT, 0, MAX_LIMIT)
        offset = self._int("offset", 0, 0)
        query = self._oql("workstation")
        plan_id = self.workload.current_date().isoformat()
        rx = plan_filter_regex(self.params["plan_filter"]) if self.params.get("plan_filter") else None
        objs = [
            self.sim.renderer.workstation(w, plan_id)
            for w in sorted(self.workload.topology.workstations, key=lambda w: w.id)
            if rx is None or rx.fullmatch(f"/{w.name}")
        ]
        if query is not None:
            objs = query.sort([o for o in objs if query.matches(o)])
        page = objs[offset : offset + limit]
        return self._page([orjson.dumps(o) for o in page], len(objs), offset, limit, False)

    def workstation_by_id(self, ws_id: str) -> Response:
        """GET /plan/workstation/{workstation_id}."""
        plan_id = self.workload.current_date().isoformat()
        for w in self.workload.topology.workstations:
            if w.id == ws_id:
                return self.json(self.sim.renderer.workstation(w, plan_id))
        raise _not_found(f"The workstation {ws_id!r} was not found.")

    # model ------------------------------------------------------------------------------------

    def model_list(self, kind: str) -> Response:
        """GET /model/jobdefinition and /model/jobstream: paged model objects."""
        limit = self._int("limit", _DEFAULT_LIMIT, 0, MAX_LIMIT)
        offset = self._int("offset", 0, 0)
        self._scope()
        query = self._oql(kind)
        _objs, items = self.sim.static_items(kind)
        if query is not None:
            dicts = [orjson.loads(b) | {"__pos": i} for i, b in enumerate(items)]
            chosen = [d["__pos"] for d in query.sort([d for d in dicts if query.matches(d)])]
            items = [items[i] for i in chosen]
        only_header = (self.headers.get("Only-Header") or "").strip().lower() == "true"
        page = [] if only_header else items[offset : offset + limit]
        return self._page(page, len(items), offset, limit, True)

    def model_by_id(self, kind: str, object_id: str) -> Response:
        """GET /model/jobdefinition/{id} and /model/jobstream/{id}."""
        objs, items = self.sim.static_items(kind)
        for o, b in zip(objs, items):
            if o.id == object_id:
                ctype = "text/plain; charset=utf-8" if self._accept_text() else "application/json"
                return Response(200, b, ctype)
        label = "job definition" if kind == "jobdefinition" else "job stream"
        raise _not_found(f"The {label} {object_id!r} was not found.")


def _window(log, content_only: bool, from_line: int | None, to_line: int | None) -> list[bytes]:
    lines = list(log.body()) if content_only else list(log.lines)
    start = (from_line or 1) - 1
    end = to_line if to_line is not None else len(lines)
    return lines[start:end]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that hangs up mid-response (timeouts, resets) is normal traffic, not a server error.
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        log.exception("simulator: error while serving %s", client_address[0])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WebSphere Liberty"
    sys_version = ""
    # TCP_NODELAY: with Nagle on, a small answer written after its headers waits for the client's
    # delayed ACK (~40 ms per joblog).
    disable_nagle_algorithm = True
    sim: SimulatorServer  # set on the bound subclass

    def log_message(self, format, *args):
        log.debug("%s - %s", self.address_string(), format % args)

    def do_HEAD(self):
        # HEAD answers what GET would, without the body (RFC 9110 §9.3.2).
        self.do_GET()

    def do_GET(self):
        sim = self.sim
        split = urlsplit(self.path)
        path = split.path
        if path in ("/health", "/twsd/health"):
            self._send(Response(200, b'{"status":"ok"}'))
            return
        is_api = path.startswith("/twsd/")
        if is_api:
            verdict = sim._faults.decide(self.command, self.path)
            if verdict.latency:
                sim.stopping.wait(verdict.latency)
            if verdict.kind == "reset":
                self._reset()
                return
            if verdict.kind == "timeout":
                sim.stopping.wait(sim.faults.stall_seconds)
            elif verdict.kind == "429":
                self._send_error(
                    ApiError(
                        429,
                        "AWSJSY429E",
                        "AWSJSY429E Too many requests; retry later.",
                        {"Retry-After": str(sim.faults.retry_after)},
                    )
                )
                return
            elif verdict.kind in ("500", "503"):
                status = int(verdict.kind)
                text = (
                    "AWSJSY500E An internal error occurred."
                    if status == 500
                    else "AWSJSY503E The service is temporarily unavailable."
                )
                self._send_error(ApiError(status, text.split()[0], text))
                return
            truncate = verdict.kind == "truncate"
        else:
            truncate = False
        if not sim._authorized(self.headers.get("Authorization")):
            self._send_error(
                ApiError(
                    401,
                    "AWSJSY401E",
                    "AWSJSY401E The user is not authenticated.",
                    {"WWW-Authenticate": 'Basic realm="twsd", Bearer realm="twsd"'},
                )
            )
            return
        raw_query = parse_qsl(split.query, keep_blank_values=True)
        params: dict[str, str] = {}
        for k, v in raw_query:
            params.setdefault(k, v)
        uuid_mode = sim.plan_id_mode == "uuid"
        if uuid_mode and params.get("plan_id") not in (None, "", "current"):
            # Spec-shaped ids only: a production day is not a plan id here.
            params["plan_id"] = sim.plan_day(params["plan_id"]) or f"unknown plan {params['plan_id']}"
        try:
            result = sim.handle(path, params, raw_query, self.headers)
        except ApiError as exc:
            self._send_error(exc)
            return
        except Exception:
            log.exception("simulator error on %s", path)
            self._send_error(ApiError(500, "AWSJSY500E", "AWSJSY500E An internal error occurred."))
            return
        if uuid_mode and isinstance(result, Response) and not path.endswith("/joblog"):
            result = Response(
                result.status, sim._uuid_plan_ids(result.body), result.content_type, result.headers
            )
        faults = sim.faults
        if faults.poison or faults.odd:
            result = self._planted(path, result, faults)
            if result is None:
                return
        if isinstance(result, FollowStream):
            if self.command == "HEAD":
                self._send(Response(200, b"", "text/plain; charset=utf-8"), length=None)
                return
            self._follow(result)
            return
        if truncate:
            self._truncate(result)
            return
        self._send(result)

    def _planted(self, path: str, result, faults: FaultConfig):
        """Apply the planted per-item faults: poisoned joblogs and runs sent without their id."""
        if faults.poison and path.endswith("/joblog") and "/plan/job/run/" in path:
            run_id = unquote(path.rsplit("/", 2)[-2])
            if run_id in faults.poison:
                if faults.poison_mode == "500":
                    self._send_error(
                        ApiError(500, "AWSJSY500E", f"AWSJSY500E The job log of {run_id} cannot be read.")
                    )
                elif isinstance(result, Response):
                    self._cut_close_delimited(result)
                return None
        if faults.odd and isinstance(result, Response) and result.content_type == "application/json":
            body = result.body
            for run_id in faults.odd:
                body = body.replace(b'"id":"%s"' % run_id.encode(), b'"runRef":"%s"' % run_id.encode())
            if body is not result.body:
                result = Response(result.status, body, result.content_type, result.headers)
        return result

    def _cut_close_delimited(self, resp: Response) -> None:
        # HTTP/1.0-style framing: no Content-Length, no chunking; closing the connection ends the
        # body, so a client cannot tell this cut from the end.
        self.close_connection = True
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body[: len(resp.body) // 2])
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _not_allowed(self):
        self._send_error(
            ApiError(
                405,
                "AWSJSY405E",
                f"AWSJSY405E The method {self.command} is not allowed; the API is read-only (GET, HEAD).",
                {"Allow": "GET, HEAD"},
            )
        )

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    def __getattr__(self, name: str):
        # Any other method (BaseHTTPRequestHandler would answer 501 with an HTML page) gets the JSON 405.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (a malformed request line, a too-long header) as JSON too."""
        self.close_connection = True
        text = f"AWSJSY{code}E {message or self.responses.get(code, ('',))[0]}".strip()
        try:
            self._send_error(ApiError(code, f"AWSJSY{code}E", text))
        except OSError:
            pass

    def _send(self, resp: Response, length: int | None | bool = True) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        if length is not None:
            self.send_header("Content-Length", str(len(resp.body)))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        # Headers and body in one write (end_headers() would send the headers on their own).
        self._headers_buffer.append(b"\r\n")
        head = b"".join(self._headers_buffer)
        self._headers_buffer = []
        body = resp.body if self.command != "HEAD" else b""
        if len(body) <= 256 * 1024:
            self.wfile.write(head + body)
        else:
            self.wfile.write(head)
            self.wfile.write(body)

    def _send_error(self, exc: ApiError) -> None:
        body = orjson.dumps({"code": exc.status, "messageCode": exc.code, "message": exc.message})
        self._send(Response(exc.status, body, "application/json", exc.headers))

    def _reset(self) -> None:
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _truncate(self, resp: Response) -> None:
        if self.command == "HEAD":
            self._send(resp)
            return
        self.close_connection = True
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(resp.body[: len(resp.body) // 2])
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _follow(self, stream: FollowStream) -> None:
        sim = self.sim
        run = stream.run
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0  # lines of the (windowed) log already sent
        deadline = time.monotonic() + _FOLLOW_MAX_SECONDS
        try:
            while True:
                t = sim.clock.timestamp()
                finished = t >= run.end
                log = sim.workload.joblog(run, as_of=None if finished else t)
                lines = list(log.lines)
                if stream.content_only:
                    lines = lines[log.header_lines : len(lines) - log.trailer_lines]
                start = (stream.from_line or 1) - 1
                end = stream.to_line if stream.to_line is not None else len(lines)
                window = lines[start:end]
                if len(window) > sent:
                    chunk = b"".join(line + b"\n" for line in window[sent:])
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    sent = len(window)
                reached_end = stream.to_line is not None and start + sent >= stream.to_line
                if finished or reached_end or sim.stopping.is_set() or time.monotonic() > deadline:
                    break
                sim.stopping.wait(sim.follow_poll)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
