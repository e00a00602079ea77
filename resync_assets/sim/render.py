"""JSON shapes of the TWS REST API v2 (JobInPlanV2, JobStreamInPlanV2, WorkstationInPlanV2, ...).

Field names are camelCase exactly as in the spec. Instants are ISO-8601 UTC with milliseconds
(`2025-03-14T22:30:00.000Z`), durations ISO-8601 (`PT17M37S`). `planId` carries the production day
`YYYY-MM-DD` of the plan the object is served from.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from resync_assets.sim.state import COMMON, run_view
from resync_assets.sim.topology import Topology, Workstation, make_id

ENGINE_VERSION = "10.2.5.0"


_MINUTE_PREFIX: dict[int, str] = {}


def iso(ts: float | None) -> str | None:
    """Epoch seconds → `YYYY-MM-DDTHH:MM:SS.mmmZ`."""
    if ts is None:
        return None
    ms = int(ts * 1000 + 0.5)
    minute, rest = divmod(ms, 60_000)
    prefix = _MINUTE_PREFIX.get(minute)
    if prefix is None:
        if len(_MINUTE_PREFIX) > 400_000:
            _MINUTE_PREFIX.clear()
        prefix = _MINUTE_PREFIX[minute] = datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:")
    return f"{prefix}{rest // 1000:02d}.{rest % 1000:03d}Z"


def duration(seconds: float | None) -> str | None:
    """Seconds → ISO-8601 duration such as `PT17M37S` (`PT0S` for zero)."""
    if seconds is None:
        return None
    s = round(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    out = "P" + (f"{d}D" if d else "")
    if h or m or s or not d:
        out += "T" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s or not (h or m) else "")
    return out


def _composite(status: str, sub: str | None) -> dict:
    out = {
        "status": status,
        "canceled": status == "CANCL",
        "cancelPending": False,
        "dontRun": status in ("SUPPR", "CANCL"),
        "started": status not in ("HOLD", "READY", "SUPPR", "CANCL"),
        "error": status in ("ABEND", "FAIL"),
    }
    if sub:
        out["substatus"] = sub
    return out


_COMPOSITES: dict[tuple, orjson.Fragment] = {}
_FLAGS: dict[tuple, orjson.Fragment] = {}


def _composite_fragment(status: str, sub: str | None) -> orjson.Fragment:
    frag = _COMPOSITES.get((status, sub))
    if frag is None:
        frag = _COMPOSITES[(status, sub)] = orjson.Fragment(orjson.dumps(_composite(status, sub)))
    return frag


_COMPOSITE_TEXT: dict[tuple, str] = {}


def _composite_text(status: str, sub: str | None) -> str:
    text = _COMPOSITE_TEXT.get((status, sub))
    if text is None:
        text = _COMPOSITE_TEXT[(status, sub)] = orjson.dumps(_composite(status, sub)).decode()
    return text


def _max_duration_gone(run, jd, status: str) -> bool:
    """The run went past the job's maximum duration (`maxdur`); shown once the run has ended."""
    return bool(
        jd.max_duration
        and status in ("SUCC", "ABEND")
        and run.start is not None
        and run.end - run.start > jd.max_duration
    )


def _deadline_passed(j, last, t: float) -> bool:
    """The job's deadline has passed without it ending before it (TWS's `deadlineHasPassed`)."""
    deadline = j.jd.deadline_offset
    if not deadline or last is None:
        return False
    due = j.sched + deadline
    run, (status, _, _) = last
    if status in ("SUCC", "ABEND", "FAIL") and run.end is not None:
        return run.end > due
    return t > due


def _flags_fragment(late: bool, restarted: bool, deadline_passed: bool = False) -> orjson.Fragment:
    frag = _FLAGS.get((late, restarted, deadline_passed))
    if frag is None:
        frag = _FLAGS[(late, restarted, deadline_passed)] = orjson.Fragment(
            orjson.dumps(
                {
                    "jobLate": late,
                    "deadlineHasPassed": deadline_passed,
                    "restarted": restarted,
                    "userRerunAgain": False,
                    "untilGone": False,
                    "jobStreamCancelled": False,
                }
            )
        )
    return frag


class Renderer:
    """Builds API dicts from generated plan objects."""

    def __init__(self, topology: Topology, seed: int):
        self.topo = topology
        self.seed = seed
        self._ws_ids = {w.name: w.id for w in topology.workstations}
        self._folder_ids: dict[str, str] = {}
        self._jdef_fragments: dict[str, orjson.Fragment] = {}
        self._jdef_estimates: dict[str, str] = {}
        self._static: dict[tuple, bytes] = {}

    def folder_id(self, folder: str) -> str:
        """Stable id of a folder path."""
        fid = self._folder_ids.get(folder)
        if fid is None:
            fid = self._folder_ids[folder] = make_id(self.seed, "folder", folder)
        return fid

    def job_definition(self, jd) -> dict:
        """JobDefinitionInPlanV2 of a job definition."""
        task = (
            {"UNIX": {"taskString": jd.script, "isCommand": jd.is_command, "userName": jd.user}}
            if not jd.script.startswith("/apps") or jd.is_command
            else {"UNIX": {"taskString": jd.script, "isCommand": False, "userName": jd.user}}
        )
        return {
            "id": jd.id,
            "jobDefinitionModelId": jd.id,
            "name": jd.name,
            "folder": jd.folder,
            "folderId": self.folder_id(jd.folder),
            "workstation": jd.workstation,
            "workstationId": self._ws_ids[jd.workstation],
            "estimatedDuration": duration(jd.baseline),
            "recoveryOption": jd.recovery,
            "userLogins": [jd.user],
            "task": task,
            "isCommand": jd.is_command,
            "command": jd.is_command,
            "description": f"{jd.kind} job {jd.name}",
            **(
                {"recoveryRepeatInterval": "PT2M", "recoveryRepeatOccurrences": 2}
                if jd.recovery == "RERUN"
                else {}
            ),
        }

    def job_definition_fragment(self, jd) -> orjson.Fragment:
        """`job_definition(jd)` pre-serialized (definitions never change)."""
        frag = self._jdef_fragments.get(jd.id)
        if frag is None:
            # The estimate is stored first: another thread that sees the fragment may read it at once.
            self._jdef_estimates[jd.id] = duration(jd.baseline)
            frag = self._jdef_fragments[jd.id] = orjson.Fragment(orjson.dumps(self.job_definition(jd)))
        return frag

    def run(self, run, view, estimate: str, last: bool) -> dict:
        """JobRunInstanceV2 of one run in the state `view` = (status, common, substatus)."""
        status, common, sub = view
        j = run.job
        time_info = {"estimatedDuration": estimate}
        started = status not in ("HOLD", "READY") and run.start is not None
        if started:
            time_info["actualStartTime"] = iso(run.start)
            if status != "EXEC":
                time_info["actualEndTime"] = iso(run.end)
                time_info["elapsedTime"] = duration(run.end - run.start)
        out = {
            "id": run.id,
            "jobId": j.id,
            "jobKey": j.key,
            "name": j.jd.name,
            "runAttempt": run.attempt,
            "rerunType": run.rerun_type,
            "rerunJob": run.attempt > 1,
            "lastInRerunChain": last,
            "commonStatus": common,
            "compositeStatus": _composite_fragment(status, sub),
            "timeInfo": time_info,
            "actualWorkstation": run.actual_ws or j.jd.workstation,
            "minDurationNotReached": False,
            "maxDurationGone": _max_duration_gone(run, j.jd, status),
        }
        if started:
            out["jobNumber"] = run.job_number
            out["submittedTime"] = iso(run.ready)
        if status in ("SUCC", "ABEND"):
            out["returnCode"] = run.rc
        if run.attempt > 1:
            out["parentRunId"] = j.runs[run.attempt - 2].id
        return out

    def run_json(self, run, view, estimate: str, last: bool) -> str:
        """`run(...)` written straight to JSON text (the hot path when serializing whole plans).

        Safe without escaping: every string here is generated by the simulator from ASCII names, ids,
        folders and timestamps that contain no quotes, backslashes or control characters.
        """
        status, common, sub = view
        j = run.job
        started = status != "HOLD" and status != "READY" and run.start is not None
        if started:
            if status != "EXEC":
                time_info = (
                    f'{{"estimatedDuration":"{estimate}","actualStartTime":"{iso(run.start)}",'
                    f'"actualEndTime":"{iso(run.end)}","elapsedTime":"{duration(run.end - run.start)}"}}'
                )
            else:
                time_info = f'{{"estimatedDuration":"{estimate}","actualStartTime":"{iso(run.start)}"}}'
        else:
            time_info = f'{{"estimatedDuration":"{estimate}"}}'
        tail = ""
        if started:
            tail = f',"jobNumber":{run.job_number},"submittedTime":"{iso(run.ready)}"'
        if status == "SUCC" or status == "ABEND":
            tail += f',"returnCode":{run.rc}'
        if run.attempt > 1:
            tail += f',"parentRunId":"{j.runs[run.attempt - 2].id}"'
        return (
            f'{{"id":"{run.id}","jobId":"{j.id}","jobKey":"{j.key}","name":"{j.jd.name}",'
            f'"runAttempt":{run.attempt},"rerunType":"{run.rerun_type}",'
            f'"rerunJob":{"true" if run.attempt > 1 else "false"},"lastInRerunChain":{"true" if last else "false"},'
            f'"commonStatus":"{common}","compositeStatus":{_composite_text(status, sub)},'
            f'"timeInfo":{time_info},"actualWorkstation":"{run.actual_ws or j.jd.workstation}",'
            f'"minDurationNotReached":false,'
            f'"maxDurationGone":{"true" if _max_duration_gone(run, j.jd, status) else "false"}{tail}}}'
        )

    def _job_static(self, j, with_definition: bool = True) -> bytes:
        """The part of a job's JSON that depends only on its definitions, serialized once (no braces)."""
        jd = j.jd
        sd = j.stream.sd
        key = (jd.id, sd.id, with_definition)
        frag = self._static.get(key)
        if frag is None:
            static = {
                "persistentId": jd.id,
                "name": jd.name,
                "flowNodeType": "JOB",
                "folder": jd.folder,
                "folderId": self.folder_id(jd.folder),
                "jobStreamName": sd.name,
                "jobStreamWorkstation": sd.workstation,
                "jobStreamWorkstationId": self._ws_ids[sd.workstation],
                "workstation": jd.workstation,
                "workstationId": self._ws_ids[jd.workstation],
                "origPriority": jd.priority,
                "timeZone": "UTC",
                "orderInJobStream": jd.order + 1,
                "jobOptions": {
                    "critical": jd.critical,
                    "requiresConfirmation": False,
                    "every": bool(jd.every_minutes),
                    "noOperation": False,
                },
                "jobDefinition": self.job_definition_fragment(jd),
                "jobDefinitionRefId": jd.id,
            }
            if not with_definition:
                del static["jobDefinition"]
            if jd.every_minutes:
                static["repeatInterval"] = duration(jd.every_minutes * 60)
            frag = self._static[key] = orjson.dumps(static)[1:-1]
        return frag

    def job_bytes(self, j, t: float, plan_id: str, archived: bool, variant: str = "full") -> bytes:
        """Serialized JobInPlanV2 of a job in plan seen at instant `t`.

        `variant`: "full"; "nodef" drops the embedded `jobDefinition` (scope WHOLE_NO_JOB_DEFINITIONS*);
        "last" keeps only the last run in `jobruns` (scope WHOLE_LAST_RUN_ONLY).
        """
        jd = j.jd
        static = self._job_static(j, variant != "nodef")
        estimate = self._jdef_estimates.get(jd.id) or duration(jd.baseline)
        views = []
        for r in j.runs:
            view = run_view(r, t)
            if view is None:
                break
            views.append((r, view))
        n = len(views)
        shown = views[-1:] if variant == "last" else views
        first = n - len(shown)
        runs = orjson.Fragment(
            "["
            + ",".join(
                [self.run_json(r, view, estimate, first + k == n - 1) for k, (r, view) in enumerate(shown)]
            )
            + "]"
        )
        last = views[-1] if views else None
        status, common, sub = last[1] if last else ("HOLD", "WAITING", "HOLD_WAITING_FOR_TIME")
        late = bool(
            last
            and last[0].start is not None
            and last[0].start - j.sched > 4 * 3600
            and status not in ("HOLD", "READY")
        )
        out = {
            "id": j.id,
            "key": j.key,
            "jobStreamId": j.stream.id,
            "planId": plan_id,
            "archived": archived,
            "priority": 0 if last and last[0].held and status == "HOLD" else jd.priority,
            "schedTime": iso(j.sched),
            "lastRunCommonStatus": common,
            "lastRunCompositeStatus": _composite_fragment(status, sub),
            "jobStatusFlags": _flags_fragment(late, n > 1, _deadline_passed(j, last, t)),
            "jobruns": runs,
        }
        if jd.deadline_offset or jd.max_duration:
            restrictions = {}
            if jd.deadline_offset:
                restrictions["deadlineTime"] = iso(j.sched + jd.deadline_offset)
            if jd.max_duration:
                restrictions["maxDuration"] = duration(jd.max_duration)
            out["timeRestrictions"] = restrictions
        if last and status not in ("HOLD", "READY", "EXEC") and last[0].start is not None:
            out["endTime"] = iso(last[0].end)
        return b"{" + orjson.dumps(out)[1:-1] + b"," + static + b"}"

    def job(self, j, t: float, plan_id: str, archived: bool) -> dict:
        """JobInPlanV2 dict of a job in plan seen at instant `t`."""
        return orjson.loads(self.job_bytes(j, t, plan_id, archived))

    def stream(self, si, t: float, plan_id: str, archived: bool, jobs: list[dict] | None = None) -> dict:
        """JobStreamInPlanV2 of a stream instance seen at `t` (with `jobs` embedded when given)."""
        sd = si.sd
        counts = {"SUCC": 0, "ABEND": 0, "FAIL": 0, "EXEC": 0, "OTHER": 0, "DONE": 0}
        starts, ends = [], []
        for j in si.jobs:
            last = None
            for r in j.runs:
                v = run_view(r, t)
                if v is None:
                    break
                last = (r, v)
                if v[0] not in ("HOLD", "READY") and r.start is not None:
                    starts.append(r.start)
            st = last[1][0] if last else "HOLD"
            if st in ("SUCC", "ABEND", "FAIL", "EXEC"):
                counts[st] += 1
            else:
                counts["OTHER"] += 1
            if st in ("SUCC", "ABEND", "FAIL", "CANCL", "SUPPR"):
                counts["DONE"] += 1
                if last and last[0].start is not None:
                    ends.append(last[0].end)
        n = len(si.jobs)
        if counts["DONE"] == n:
            status = "ABEND" if counts["ABEND"] or counts["FAIL"] else "SUCC"
        elif counts["EXEC"]:
            status = "EXEC"
        elif counts["ABEND"] or counts["FAIL"]:
            status = "STUCK"
        elif starts:
            status = "EXEC"
        elif t >= si.sched:
            status = "READY"
        else:
            status = "HOLD"
        common = {
            "SUCC": "SUCCESSFUL",
            "ABEND": "ERROR",
            "EXEC": "RUNNING",
            "STUCK": "BLOCKED",
            "READY": "READY",
            "HOLD": "WAITING",
        }[status]
        time_info = {}
        if starts:
            time_info["actualStartTime"] = iso(min(starts))
        if counts["DONE"] == n and ends:
            time_info["actualEndTime"] = iso(max(ends))
            time_info["elapsedTime"] = duration(max(ends) - min(starts)) if starts else None
            if time_info["elapsedTime"] is None:
                del time_info["elapsedTime"]
        out = {
            "id": si.id,
            "key": f"{sd.workstation}#{sd.folder}{sd.name}",
            "name": sd.name,
            "originalJobStreamName": sd.name,
            "workstation": sd.workstation,
            "workstationId": self._ws_ids[sd.workstation],
            "folder": sd.folder,
            "folderId": self.folder_id(sd.folder),
            "planId": plan_id,
            "archived": archived,
            "schedTime": iso(si.sched),
            "scheduledDate": iso(si.sched),
            "timeZone": "UTC",
            "priority": sd.priority,
            "origPriority": sd.priority,
            "limit": 10,
            "flowNodeType": "JOBSTREAM",
            "commonStatus": common,
            "submitter": "MAKEPLAN",
            "compositeStatus": {
                "status": status,
                "canceled": False,
                "cancelPending": False,
                "dontRun": False,
                "started": bool(starts),
                "error": status in ("ABEND", "STUCK"),
            },
            "jobStreamStats": {
                "numberOfJob": n,
                "numberOfSuccessfullJob": counts["SUCC"],
                "numberOfAbendedJob": counts["ABEND"],
                "numberOfFailedJob": counts["FAIL"],
                "numberOfExecutingJob": counts["EXEC"],
                "numberOfNotRunningJob": counts["OTHER"],
                "numberOfUndecidedJob": 0,
                "numberOfCurrentNodes": n,
                "numberOfDeltaJob": 0,
                "numberOfDeltaSuccJob": 0,
            },
            "timeInfo": time_info,
            "jobStreamModelId": sd.id,
            "persistentId": sd.id,
        }
        if jobs is not None:
            out["jobs"] = jobs
        return out

    def workstation(self, w: Workstation, plan_id: str) -> dict:
        """WorkstationInPlanV2."""
        states = ["LINKED", "FULLY_LINKED", "RUNNING", "JOBMAN_UP", "WRITER_UP", "ONLINE"]
        if w.type == "MANAGER":
            states = (
                ["MASTER", "LINKED", "RUNNING", "BATCHMAN_UP"]
                if False
                else ["MASTER", "LINKED", "RUNNING", "JOBMAN_UP", "ONLINE"]
            )
        return {
            "id": w.id,
            "key": w.name,
            "name": w.name,
            "folder": "/",
            "folderId": self.folder_id("/"),
            "type": w.type,
            "os": w.os,
            "version": w.version,
            "domainName": "MASTERDM",
            "timeZone": "UTC",
            "activeStates": states,
            "limit": 20 if w.type != "MANAGER" else 50,
            "fence": 0,
            "agentId": w.agent_id,
            "planId": plan_id,
            "nodeName": w.host,
            "host": w.host,
            "tcpPort": 31111,
            "sslPort": 31113,
            "hostType": "MASTER" if w.type == "MANAGER" else "WORKSTATION",
            "archived": False,
            "ignore": False,
            "persistentId": w.id,
            "description": f"{w.type} on {w.host}"
            + (f" (members: {', '.join(w.members)})" if w.members else ""),
        }

    def engine_info(self) -> dict:
        """EngineInfoV2."""
        return {
            "licenseType": "PERJOB",
            "fullVersion": f"{ENGINE_VERSION}.00",
            "displayVersion": "10.2.5",
            "capabilities": {"oql": {"enabled": "true"}, "folders": {"enabled": "true"}},
            "adminRoles": {"admin": []},
            "tenantName": "resync-sim",
            "tenantDisplayName": "resync simulator",
            "tenantId": make_id(self.seed, "tenant"),
            "timezone": "UTC",
            "locale": "en_US",
            "referenceId": make_id(self.seed, "engine"),
        }

    def model_job_definition(self, jd) -> dict:
        """ModelObjectJobDefinition."""
        return {
            "kind": "JobDefinition",
            "key": f"{jd.workstation}#{jd.folder}{jd.name}",
            "def": {
                "id": jd.id,
                "name": jd.name,
                "folder": jd.folder,
                "folderId": self.folder_id(jd.folder),
                "workstation": jd.workstation,
                "workstationId": self._ws_ids[jd.workstation],
                "type": "executable",
                "subType": "unix",
                "userLogins": [jd.user],
                "task": {"UNIX": {"taskString": jd.script, "isCommand": jd.is_command, "userName": jd.user}},
                "recovery": {"option": jd.recovery},
                "description": f"{jd.kind} job {jd.name}",
            },
        }

    def model_job_stream(self, sd) -> dict:
        """ModelObjectJobStream."""
        hh, mm = divmod(sd.start_seconds // 60, 60)
        return {
            "kind": "JobStream",
            "key": f"{sd.workstation}#{sd.folder}{sd.name}",
            "def": {
                "id": sd.id,
                "name": sd.name,
                "folder": sd.folder,
                "folderId": self.folder_id(sd.folder),
                "workstation": sd.workstation,
                "workstationId": self._ws_ids[sd.workstation],
                "priority": sd.priority,
                "limit": 10,
                "startTime": f"{hh:02d}:{mm:02d}:00",
                "timeZone": "UTC",
                "description": f"{sd.calendar} stream {sd.name}",
                "jobs": [{"name": self.topo.jobs[i].name} for i in sd.jobs],
                "runCycles": [{"name": sd.calendar, "type": "rrule", "expression": _rrule(sd)}],
            },
        }


def _rrule(sd) -> str:
    if sd.calendar == "DAILY":
        return "FREQ=DAILY;INTERVAL=1"
    if sd.calendar == "WEEKDAYS":
        return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    if sd.calendar == "WEEKLY":
        return "FREQ=WEEKLY;BYDAY=" + ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[sd.weekday]
    return "FREQ=MONTHLY;BYMONTHDAY=-1"


__all__ = ["COMMON", "Renderer", "duration", "iso"]
