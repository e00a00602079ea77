"""A specific cause and ordered fix steps for one analysed failure.

The cause names the thing that broke ("missing input file /data/fin/in/rates_20250314.csv"), built
from the error line's category, its message code and the entities it names; the catalogue's general
explanation is kept separately. Steps are dicts `{text, command, source, suggestion}`: concrete,
read-only diagnostic commands where the entities allow (`df -h /data/fin`, `lsnrctl status`,
`ls -l <file>`), then the catalogue's fix steps, then the conman rerun. Nothing here is ever run.
Every command is built by `commands.command` / `commands.conman`: from validated identifiers only,
shell-quoted; a value that fails validation (an ordinary word where a host should be, a job name
with shell metacharacters) gives a step without a command.
"""

from __future__ import annotations

import re

from resync_assets.lib.catalogue import FailureSignature
from resync_assets.lib.rca.entities import mount_hint, parent_dir
from resync_assets.lib.safety.commands import command, conman, is_hostname

_PREFIX = re.compile(
    r"^\s*(?:\[?\d{2,4}[-/.]\d{1,2}[-/.]\d{1,4}[-T _.:\d,]*\]?\s*|\d{6}\s+\d{6}\s+\d+\s+|"
    r"[A-Z][a-z]{2}\s+\d{1,2}\s+[\d:]{8}\s+)?"
    r"(?:\[?(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|SEVERE|CRITICAL)\]?\s*[:-]?\s*)?"
)
_CODE = re.compile(
    r"\b(?:ORA|TNS|SP2|PLS)-\d{4,5}\b|\bSQL\d{4,5}[NCW]\b|\bAW[SK][A-Z]{3}\d{3,4}[EWI]\b|"
    r"\b[A-Z]{3,8}\d{3,5}[ES]\b"
)
_USER = re.compile(r"(?:for user|user)\s+\"?([\w.$-]+)\"?|([\w.-]+)@[\w.-]+", re.IGNORECASE)
_CMD_NOT_FOUND = re.compile(r"(?:(/[\w./+-]+): )?(?:line (\d+): )?([\w./+-]+): command not found")
_UNBOUND = re.compile(r"(?:line (\d+): )?([\w]+): unbound variable")
_EXC = re.compile(r"((?:[a-z_][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error))(?::\s*(.*))?")

_MAX_CAUSE = 240


_LEVEL_TOKEN = re.compile(
    r"\b(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|SEVERE|CRITICAL|CRIT|"
    r"ALERT|EMERG|PANIC)\b\]?:?"
)
_SOFT_LEVEL_TOKEN = re.compile(
    r"[\[<(]\s*(?:error|err|fatal|crit|critical|emerg|alert|warn|warning)\s*[\]>)]:?|"
    r"\b(?:level|severity|lvl)\"?\s*[=:]\s*\"?(?:error|err|fatal|critical)\"?",
    re.IGNORECASE,
)
_SYSLOG_TAG = re.compile(r"^.{0,80}?\b[\w./-]+(?:\([\w.-]+\))?\[\d*\]:\s")
_THREAD_COMPONENT = re.compile(
    r"^(?:-\s*)?(?:\[[^\]]{0,80}\]\s*)?(?:-\s*)?(?:[\w$]+(?:\.[\w$]+){2,}(?:@\d+)?:?\s*-?\s*)?"
)


def message_of(line: str) -> str:
    """The error line without its timestamp / host / level / logger prefix, trimmed.

    Works on any log layout: after a severity token near the start when there is one (then a
    `[thread]` and a dotted logger name are dropped too), else after a syslog `prog[pid]:` tag, else
    after the leading tokens that carry digits (timestamps, ids).
    """
    text = line.strip()
    m = _LEVEL_TOKEN.search(text[:160]) or _SOFT_LEVEL_TOKEN.search(text[:160])
    if m and m.start() < 120:
        rest = _skip_brackets(text[m.end() :].lstrip(" :-")).lstrip(" :-")
        rest = _THREAD_COMPONENT.sub("", rest, count=1).strip()
        if len(rest) >= 3:
            return rest[:_MAX_CAUSE]
    m = _SYSLOG_TAG.match(text)
    if m:
        return text[m.end() :].strip()[:_MAX_CAUSE]
    text = _PREFIX.sub("", text, count=1).strip() or text
    tokens = text.split(" ")
    k = 0
    # Leading timestamps and numeric ids start with a digit; message codes (ORA-12541) do not.
    while k < min(len(tokens) - 1, 8) and (not tokens[k] or tokens[k][0].isdigit()):
        k += 1
    return " ".join(tokens[k:]).strip()[:_MAX_CAUSE] or line.strip()[:_MAX_CAUSE]


def _skip_brackets(text: str) -> str:
    """`text` without a leading `[...]` group (nested brackets allowed, e.g. `[QuorumPeer[myid=1]/0:...]`)."""
    if not text.startswith("["):
        return text
    depth = 0
    for i, ch in enumerate(text[:200]):
        depth += (ch == "[") - (ch == "]")
        if depth == 0:
            return text[i + 1 :]
    return text


def _port(line: str, host: str | None = None) -> str | None:
    if host:
        m = re.search(re.escape(host) + r"[\"']?[:\s]+(?:port\s+)?(\d{2,5})\b", line)
        if m:
            return m.group(1)
    m = re.search(r"\bport\s+(\d{1,5})\b", line, re.IGNORECASE)
    return m.group(1) if m else None


def _user(line: str) -> str | None:
    m = _USER.search(line)
    return (m.group(1) or m.group(2)) if m else None


def specific_cause(
    line: str,
    category: str,
    signature: FailureSignature | None,
    files: list[str],
    hosts: list[str],
    objects: list[str],
    exit_status: int | None = None,
) -> str:
    """One sentence naming what failed and on what, e.g. `missing input file /data/x.csv`."""
    if not line:
        if exit_status is not None:
            return f"the job ended with exit status {exit_status} without printing an error"
        return "the joblog has no output to explain the failure"
    msg = message_of(line)
    low = line.lower()
    f0 = files[0] if files else None
    h0 = hosts[0] if hosts else None
    code = _CODE.search(line)
    if category == "filesystem" or "no space left" in low:
        where = f" writing {f0} (filesystem {mount_hint(f0)})" if f0 else ""
        return f"no space left on device{where}"
    if m := _CMD_NOT_FOUND.search(line):
        # The script and line come from the error line itself, never from an unrelated path.
        where = f" (line {m.group(2)} of {m.group(1)})" if m.group(1) and m.group(2) else ""
        return f"command '{m.group(3)}' not found on the job's PATH{where}"
    if m := _UNBOUND.search(line):
        return f"variable {m.group(2)} is not set" + (f" in {f0}" if f0 else "")
    if "bad interpreter" in low:
        return f"bad interpreter line in {f0 or 'the script'} (Windows CR/LF line endings?)"
    if category == "memory":
        if m := _EXC.search(line):
            return f"{m.group(1).rsplit('.', 1)[-1]}: {m.group(2) or 'out of memory'}"[:_MAX_CAUSE]
        return "the process ran out of memory and was killed" + (f" (in {f0})" if f0 else "")
    if category == "dependency" and f0:
        if "empty" in low or "0 records" in low:
            return f"empty input file {f0} (0 records read)"
        if "lock" in low and ("exists" in low or "running" in low):
            return f"lock file {f0} exists: another instance is still running"
        if any(w in low for w in ("remote", "550 ", "sftp", "ftp")) or f0.startswith("/outbound"):
            return f"remote file {f0} not found" + (f" on {h0}" if h0 else "")
        if "jcl" in low or "awsbdw005e" in low:
            return f"job script {f0} not found on the agent"
        kind = (
            "input file"
            if re.search(r"/(?:in|input|inbound|incoming)/", f0)
            or "cannot stat" in low
            or "filenotfound" in low
            else "file or directory"
        )
        return f"missing {kind} {f0}"
    if category == "permission":
        if f0:
            return f"permission denied on {f0}" + (f" for user {_user(line)}" if _user(line) else "")
        if h0:
            return f"permission denied by {h0}" + (f" for user {_user(line)}" if _user(line) else "")
    if category == "authentication":
        user = _user(line)
        target = f" on {h0}" if h0 else ""
        head = f"{code.group(0)} " if code else ""
        return f"{head}authentication failed" + (f" for user {user}" if user else "") + target
    if category in ("network", "timeout") and h0:
        port = _port(line, h0)
        where = f"{h0}:{port}" if port else h0
        if "refused" in low:
            return f"connection refused by {where} (service down or wrong port)"
        if "resolve" in low or "not known" in low:
            return f"host name {h0} cannot be resolved (DNS)"
        if "timed out" in low or "timeout" in low:
            return f"timeout talking to {where}"
        return f"network failure talking to {where}"
    if code:
        detail = msg if msg.startswith(code.group(0)) else f"{code.group(0)}: {msg}"
        extra = (
            f" (objects: {', '.join(objects[:3])})"
            if objects and not all(o in detail for o in objects[:3])
            else ""
        )
        return (detail + extra)[:_MAX_CAUSE]
    if m := _EXC.search(line):
        return f"{m.group(1)}" + (f": {m.group(2)}" if m.group(2) else "")[:_MAX_CAUSE]
    if f0 and category == "dependency":
        return f"missing file {f0}"
    return quoted_cause(category, msg)


# What an unrecognised error line of each category is, in words; the line itself is only quoted.
CATEGORY_PHRASE = {
    "memory": "the process ran out of memory",
    "filesystem": "a filesystem error",
    "authentication": "an authentication failure",
    "permission": "a permission error",
    "database": "a database error",
    "timeout": "a timeout",
    "network": "a network error",
    "dependency": "a missing input or dependency",
    "script": "a script error",
    "application": "an error reported by the job",
}


def quoted_cause(category: str, message: str) -> str:
    """A cause for a line no rule names: the category in words, the message quoted as evidence."""
    text = message.replace('"', "'").strip()
    if len(text) > 160:
        text = text[:157].rstrip() + "..."
    return f'{CATEGORY_PHRASE.get(category, CATEGORY_PHRASE["application"])}: "{text}"'


def diagnostic_steps(
    category: str,
    line: str,
    signature: FailureSignature | None,
    files: list[str],
    hosts: list[str],
    objects: list[str],
    script: str | None,
) -> list[dict]:
    """Read-only commands that check the cause on the agent (never executed by resync)."""
    low = line.lower()
    out: list[dict] = []

    def add(text: str, cmd: str | None = None) -> None:
        out.append({"text": text, "command": cmd, "source": "rules", "suggestion": False})

    f0 = files[0] if files else None
    h0 = next((h for h in hosts if is_hostname(h)), None)
    port = _port(line, h0)
    sid = signature.signature_id if signature else ""
    if category == "filesystem" or "no space left" in low:
        mount = mount_hint(f0) if f0 else "/"
        add(f"Check free space on the filesystem holding {mount}", command("df", "-h", mount))
        add(f"Find what fills {mount} (du -sh on its largest directories)", command("du", "-sh", mount))
    elif category == "dependency" and f0:
        d = parent_dir(f0)
        add(f"Check whether {f0} exists (and its size/time)", command("ls", "-l", f0))
        if d:
            add(f"List what arrived in {d} (newest first)", command("ls", "-lt", d))
        add(
            "Check the upstream job / transfer that delivers the file; prefer a file dependency (opens) "
            "over a fixed start time"
        )
    elif category == "permission":
        target = f0 or script
        if target:
            add(f"Check owner and mode of {target}", command("ls", "-l", target))
        if h0:
            add(f"Check the key/credentials the job's logon user offers to {h0}")
    elif category == "memory":
        add(
            "Look for the kernel OOM killer ('Killed process', 'Out of memory') at the failure time",
            "dmesg -T",
        )
        add("Check memory on the agent", "free -m")
    elif category == "authentication":
        add("Find which credential store the job reads (wallet, .pgpass, TWS variable) and update the secret")
    elif category in ("network", "timeout") and h0:
        if "resolve" in low or "not known" in low:
            add(f"Check name resolution of {h0} from the agent", command("nslookup", h0))
        elif port:
            add(f"Check that {h0}:{port} answers from the agent", command("nc", "-vz", h0, port))
        else:
            add(f"Check that {h0} is reachable from the agent", command("ping", "-c", "3", h0))
    if sid.startswith(("ORA_12541", "ORA_12154", "ORA_03113")) or "tns" in low:
        add("Check the Oracle listener on the database host", "lsnrctl status")
        add("Check the connect alias from the agent (tnsping <alias>)")
    elif sid.startswith("PG_") and h0:
        add(f"Check the PostgreSQL server {h0}", command("pg_isready", "-h", h0, "-p", port or "5432"))
    elif sid.startswith("DB2_SQL30081N") and h0:
        add(f"Check the Db2 server {h0} and its port", command("nc", "-vz", h0, port or "50000"))
    elif sid.startswith("DB2_SQL0911N"):
        add("Find the lock holder (db2pd -db <db> -locks)")
    if m := _CMD_NOT_FOUND.search(line):
        add(
            f"Check whether {m.group(3)} is installed and on the PATH of the job",
            command("command", "-v", m.group(3)),
        )
    return out


def catalogue_steps(signature: FailureSignature | None) -> list[dict]:
    """The catalogue's fix steps for the signature, as steps."""
    if signature is None:
        return []
    return [
        {"text": s, "command": None, "source": "catalogue", "suggestion": False}
        for s in signature.fix_steps
        if not s.lower().startswith("rerun")
    ]


def rerun_step(conman_ref: str | None, transient: bool) -> dict | None:
    """The conman rerun command for the job (after the fix, or straight away when transient)."""
    if not conman_ref:
        return None
    text = (
        "Rerun the job (the failure is usually transient)"
        if transient
        else "Rerun the job once the cause is fixed"
    )
    return {"text": text, "command": conman("rr", conman_ref), "source": "rules", "suggestion": False}


def joblog_step(conman_ref: str | None) -> dict | None:
    """Print the joblog of the job with conman (useful when the output says too little)."""
    if not conman_ref:
        return None
    return {
        "text": "Read the full joblog",
        "command": conman("sj", conman_ref, ";stdlist"),
        "source": "rules",
        "suggestion": False,
    }
