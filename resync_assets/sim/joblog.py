"""Joblog (stdlist) text of a simulated run, in the layout TWS agents write.

Layout (FTA / classic agent): banner, `= KEY : value` header, banner, jobmanrc preamble, the job's
own output (with the failure's error line among it), `AWSBIS308I End of job`, banner, trailer with
`Exit Status`, banner. Dynamic agents print the JSDL task in the header and no jobmanrc preamble.
FAIL runs (launch failures) have a header and the agent's AWSBHT/AWSBDW line, but no trailer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

BANNER = "=" * 63
_PRODUCT_VERSION = "10.2.5.00"


@dataclass(frozen=True)
class JoblogText:
    """A rendered joblog: `lines` without newlines, the 1-based line of the error (or None), and
    `header_lines` / `trailer_lines` so `contentOnly` can drop them."""

    lines: tuple[bytes, ...]
    error_line_number: int | None
    header_lines: int
    trailer_lines: int

    def body(self) -> tuple[bytes, ...]:
        """Lines between the header and the trailer blocks."""
        end = len(self.lines) - self.trailer_lines
        return self.lines[self.header_lines : end]


def unix_date(ts: float) -> str:
    """`date`-style timestamp in UTC, e.g. `Fri Mar 14 23:41:07 UTC 2025`."""
    return datetime.fromtimestamp(ts, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def _hms(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


_INFO_BY_KIND = {
    "oracle": [
        "connecting to {db} as {user}",
        "session established, NLS_LANG=AMERICAN_AMERICA.AL32UTF8",
        "step {step}/{steps} spooling rows from {table}",
        "step {step}/{steps} {n} rows merged into {table}",
        "gathering statistics on {table}",
        "commit point reached - logical record count {n}",
    ],
    "db2": [
        "CONNECT TO {db} USER {user}",
        "step {step}/{steps} EXPORT TO {file} OF DEL",
        "step {step}/{steps} IMPORT FROM {file} OF DEL INSERT INTO {table}",
        "Number of rows read         = {n}",
        "Number of rows committed    = {n}",
        "DB20000I  The SQL command completed successfully.",
    ],
    "postgres": [
        "psql: connected to {db} on {host}",
        "step {step}/{steps} COPY {n}",
        "INSERT 0 {n}",
        "UPDATE {n}",
        "VACUUM ANALYZE {table}",
        "step {step}/{steps} done",
    ],
    "java": [
        "INFO  [main] Starting batch {job} (pid {pid})",
        "INFO  [main] reading {file}",
        "INFO  [worker-1] processed {n} records",
        "INFO  [worker-2] processed {n} records",
        "INFO  [main] connecting to https://{partner}/api/v2",
        "INFO  [main] heap used {n} MB",
    ],
    "shell": [
        "{job_l}: start on $(hostname) as {user}",
        "{job_l}: scanning {dir}",
        "{job_l}: {n} files processed",
        "{job_l}: removed {n} files older than 7 days",
        "{job_l}: checking free space on {dir}",
    ],
    "transfer": [
        "{job_l}: connecting to {partner}",
        "sftp> cd /outbound",
        "sftp> get {remote_file}",
        "Fetching {remote_file} to {file}",
        "{job_l}: transferred {n} bytes",
        "{job_l}: checksum ok",
    ],
    "backup": [
        "{job_l}: backup of {dir} started",
        "{job_l}: {n} files queued",
        "{job_l}: volume {n} written",
        "{job_l}: compressing archive",
        "{job_l}: verifying archive",
        "{job_l}: catalogue updated",
    ],
    "report": [
        "report {job}: rendering page {n}",
        "report {job}: query on {table} returned {n} rows",
        "report {job}: writing {file}",
        "report {job}: mail queued for distribution list",
    ],
}

# Errors a run recovered from (retried), printed before the real failure.
_RECOVERED = (
    "WARN  {job_l}: connection reset by peer, retrying ({n}/3)",
    "ERROR {job_l}: lock wait timeout exceeded, retrying in 30 s (attempt {n} of 3)",
    "{job_l}: transfer interrupted, resuming (attempt {n})",
)
# Errors of the cleanup after the failure (not its cause).
_CLEANUP = (
    "rm: cannot remove '/tmp/{job_l}.{pid}.tmp': No such file or directory",
    "{job_l}: cleanup: could not release lock /var/run/{job_l}.lock",
)

_LATIN1_LINES = (
    "Données traitées: {n} enregistrements",
    "Résumé: {n} écritures comptables validées",
    "Überprüfung abgeschlossen: {n} Sätze",
)


def render_joblog(
    ctx: dict, rng_seed: str, *, visible_fraction: float = 1.0, large_lines: int = 0
) -> JoblogText:
    """Render one run's joblog.

    `ctx` keys: ws, agent_type (FTA/AGENT), stream, folder, job, sched (epoch), jsid, user, script, job_number,
    start, end, status (SUCC/ABEND/FAIL/EXEC), rc, error_line, kind, params, invalid_utf8.
    `visible_fraction` < 1 renders a still-running log (no trailer, part of the body).
    """
    rng = random.Random(rng_seed)
    status = ctx["status"]
    sched = datetime.fromtimestamp(ctx["sched"], UTC)
    job_ref = (
        f"{ctx['ws']}#{ctx['folder']}{ctx['stream']}[({sched:%H%M %m/%d/%y}),({ctx['jsid']})].{ctx['job']}"
    )
    dynamic = ctx["agent_type"] == "AGENT"
    header = [BANNER, f"= JOB       : {job_ref}"]
    if dynamic:
        header += [
            '= TASK      : <?xml version="1.0" encoding="UTF-8"?>',
            '<jsdl:jobDefinition xmlns:jsdl="http://www.ibm.com/xmlns/prod/scheduling/1.0/jsdl"',
            ' xmlns:jsdle="http://www.ibm.com/xmlns/prod/scheduling/1.0/jsdle" name="executable">',
            '  <jsdl:application name="executable">',
            '    <jsdle:executable interactive="false">',
            f"      <jsdle:script>{_xml(ctx['script'])}</jsdle:script>",
            "    </jsdle:executable>",
            "  </jsdl:application>",
            "</jsdl:jobDefinition>",
        ]
    else:
        header += [f"= USER      : {ctx['user']}", f"= JCLFILE   : {ctx['script']}"]
    header += [
        "= TWSRCMAP  :",
        f"= AGENT     : {ctx['ws']}",
        f"= Job Number: {ctx['job_number']}",
        f"= {unix_date(ctx['start'])}",
        BANNER,
    ]

    params = dict(ctx["params"])
    params.setdefault("job_l", ctx["job"].lower())
    if status == "FAIL":
        body = [ctx["error_line"]]
        error_idx = 0
        lines = header + body
        return _finish(lines, len(header) + error_idx + 1, len(header), 0, ctx)

    body: list[str] = []
    if not dynamic:
        body += [
            f"WA for UNIX/JOBMANRC {_PRODUCT_VERSION}",
            f"AWSBIS307I Starting /opt/hwa/TWS/jobmanrc {ctx['script']}",
            f"WA for UNIX ({ctx.get('os', 'LINUX')})/JOBINFO {_PRODUCT_VERSION}",
            f'Installed for user "{ctx["user"]}".',
            'Locale LANG set to the following: "C"',
        ]
    preamble = len(body)
    templates = _INFO_BY_KIND.get(ctx["kind"], _INFO_BY_KIND["shell"])
    n_out = rng.randint(2, 40)
    steps = rng.randint(2, 5)
    start = ctx["start"]
    span = max(1.0, (ctx["end"] or start) - start)
    for i in range(n_out):
        ts = datetime.fromtimestamp(start + span * (i + 1) / (n_out + 2), UTC)
        # The first template opens the job; the others follow in order, like a script's steps.
        text = templates[0] if i == 0 else templates[1 + (i - 1) % (len(templates) - 1)]
        values = dict(params, step=1 + i * steps // n_out, steps=steps, n=rng.randint(1, 250000))
        level = "" if text.startswith("INFO") else "INFO  "
        body.append(f"{ts:%Y-%m-%d %H:%M:%S} {level}" + text.format_map(values))
    if ctx.get("invalid_utf8"):
        pos = preamble + rng.randrange(len(body) - preamble + 1)
        body.insert(pos, _LATIN1_MARK + rng.choice(_LATIN1_LINES).format(n=rng.randint(1, 99999)))
    if large_lines:
        pos = preamble + rng.randrange(len(body) - preamble + 1)
        filler = [f"{ctx['job'].lower()}: detail record {k:08d} ok" for k in range(large_lines)]
        body[pos:pos] = filler
    error_idx = None
    if ctx["error_line"]:
        # The error comes in the second half of the output, followed by the wrapper's summary.
        lo = preamble + (len(body) - preamble) // 2
        error_idx = rng.randint(lo, len(body))
        end_ts = datetime.fromtimestamp(ctx["end"] or start, UTC)
        job_l = ctx["job"].lower()
        wrapper = f"{end_ts:%Y-%m-%d %H:%M:%S} ERROR {job_l}: step failed, rc={ctx['rc']}"
        error_line = ctx["error_line"]
        # What real joblogs do around an error (seeded per run, so the truth is exact):
        u = rng.random()
        if u < 0.25:
            # The script's own logger prefixes the tool's message.
            error_line = f"{end_ts:%Y-%m-%d %H:%M:%S} ERROR {job_l}: {error_line}"
        elif u < 0.35:
            error_line = f"[{end_ts:%H:%M:%S}] [error] {error_line}"
        if rng.random() < 0.12 and error_idx > preamble:
            # A transient error earlier in the run that a retry got past.
            early = rng.randrange(preamble, error_idx)
            body.insert(early, rng.choice(_RECOVERED).format(job_l=job_l, n=rng.randint(1, 3)))
            error_idx += 1
        body.insert(error_idx, error_line)
        after = [wrapper]
        if rng.random() < 0.10:
            # Cleanup fails too, after the real error.
            after.insert(0, rng.choice(_CLEANUP).format(job_l=job_l, pid=rng.randint(1000, 65000)))
        if rng.random() < 0.08:
            # stderr arrives after stdout: the wrapper's summary is printed before the error line.
            body.insert(error_idx, wrapper)
            error_idx += 1
            after.remove(wrapper)
        body[error_idx + 1 : error_idx + 1] = after
    elif status == "ABEND":
        end_ts = datetime.fromtimestamp(ctx["end"] or start, UTC)
        body.append(f"{end_ts:%Y-%m-%d %H:%M:%S} ERROR {ctx['job'].lower()}: failed, rc={ctx['rc']}")
    if not dynamic:
        body.append("AWSBIS308I End of job")

    if visible_fraction < 1.0:
        shown = preamble + int((len(body) - preamble) * max(0.0, visible_fraction))
        body = body[:shown]
        if error_idx is not None and error_idx >= shown:
            error_idx = None
        return _finish(
            header + body, None if error_idx is None else len(header) + error_idx + 1, len(header), 0, ctx
        )

    elapsed = (ctx["end"] or start) - start
    trailer = [
        BANNER,
        f"= Exit Status           : {ctx['rc']}",
        f"= Elapsed Time (hh:mm:ss) : {_hms(elapsed)}",
        f"= Job CPU usage (ms) : {int(elapsed * rng.uniform(20, 400))}",
        f"= Job Memory usage (kb) : {rng.randint(1500, 250000)}",
        f"= {unix_date(ctx['end'] or start)}",
        BANNER,
    ]
    lines = header + body + trailer
    return _finish(
        lines, None if error_idx is None else len(header) + error_idx + 1, len(header), len(trailer), ctx
    )


# A line starting with this marker is encoded as latin-1 (invalid UTF-8) instead of UTF-8.
_LATIN1_MARK = "\x00L1\x00"


def _finish(
    lines: list[str], error_line_number: int | None, header: int, trailer: int, ctx: dict
) -> JoblogText:
    out = []
    for line in lines:
        if line.startswith(_LATIN1_MARK):
            out.append(line[len(_LATIN1_MARK) :].encode("latin-1"))
        else:
            out.append(line.encode("utf-8"))
    return JoblogText(tuple(out), error_line_number, header, trailer)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
