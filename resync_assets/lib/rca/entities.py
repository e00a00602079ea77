"""What an error line is about: the files / paths, hosts and database objects it names."""

from __future__ import annotations

import posixpath
import re

from resync_assets.lib.safety.commands import is_hostname

# Absolute paths (two segments or more) not glued to a URL scheme or another word; Windows paths.
_PATH = re.compile(
    r"(?<![\w:/.])(/(?:[\w.@%+~#^-]+/)+[\w.@%+~#^-]*|/[\w.@%+~#-]+\.[A-Za-z0-9]{1,6}\b)"
    r"|(?<!\w)([A-Za-z]:\\(?:[\w .@%+~#-]+\\)*[\w .@%+~#-]+)"
)
_TRAILING = ".,;:'\")]}>"
_NOT_FILES = re.compile(r"^/(?:bin/(?:ba)?sh|usr/bin/env|dev/null)$")
_IP = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_HOST_PATTERNS = (
    re.compile(
        r"\b(?:host(?:name)?|server|node|to|at|from)\s*[=:]?\s*[\"']?([A-Za-z][\w-]*(?:\.[\w-]+)+)[\"']?",
        re.IGNORECASE,
    ),
    re.compile(r"\b[\w.-]+@([A-Za-z][\w-]*(?:\.[\w-]+)+)"),
    re.compile(r"\b[a-z][a-z0-9+.-]{1,15}://([A-Za-z0-9][\w.-]*)"),
    re.compile(r"\b(?:host|resolve host(?:name)?)[: ]+\s*([A-Za-z][\w.-]+)", re.IGNORECASE),
)
# Workstation of a job reference `WS#STREAM.JOB` (TWS messages name the agent that way).
_WS_REF = re.compile(r"\"?\b([A-Z][A-Z0-9_-]{2,15})#[/\w]+\.[\w]+")
# Java/Python dotted names are not hosts.
_NOT_HOST = re.compile(
    r"^(?:java|javax|jakarta|org|com|net|sun|io|py|python)\.|\.(?:java|py|sh|jar|class|log|"
    r"dat|csv|txt|zip|gz|xml|json|lock|so|c|h|cc|cpp|go|rs|pl|rb|js|ts|sql|ksh|bash|cfg|conf|ini|yaml|yml|"
    r"properties|par|tmp|bak|out|err|gpg|pgp|tar|tgz|bz2|xz|zst)$|Exception$|Error$",
    re.IGNORECASE,
)
_DB_PATTERNS = (
    re.compile(
        r"\b(?:table|index|view|relation|tablespace|constraint|schema|sequence|database)\s+"
        r"[\"'(]?([A-Za-z_][\w$#]*(?:\.[A-Za-z_][\w$#]*)?)",
        re.IGNORECASE,
    ),
    re.compile(r"constraint\s*\(\s*([\w$#.]+)\s*\)", re.IGNORECASE),
    re.compile(r"\bSQL\d{4,5}[NC]\s+\"([\w$#.]+)\""),
    re.compile(r"\b(?:constrains table|unique constraint)\s+\"([\w$#.]+)\"", re.IGNORECASE),
    re.compile(r"\b([A-Z][A-Z0-9_]{1,29}\.[A-Z][A-Z0-9_$#]{1,29})\b"),
)
_DB_STOP = {"TABLE", "BY", "IN", "THE", "TEMP", "IS", "FOR", "OF", "AN", "A", "TO", "ON", "DATA", "SPECIFIED"}


def _clean_path(raw: str) -> str:
    return raw.rstrip(_TRAILING)


def extract_paths(text: str) -> list[str]:
    """Absolute file or directory paths in `text`, in order, without duplicates."""
    out: list[str] = []
    for m in _PATH.finditer(text):
        path = _clean_path(m.group(1) or m.group(2) or "")
        if len(path) < 3 or _NOT_FILES.match(path) or path.count("/") + path.count("\\") < 1:
            continue
        if path not in out:
            out.append(path)
    return out


def extract_hosts(text: str) -> list[str]:
    """Host names, IP addresses and TWS workstations named in `text`."""
    out: list[str] = []

    def add(value: str, workstation: bool = False) -> None:
        value = value.strip(_TRAILING)
        if not value or value in out or _NOT_HOST.search(value):
            return
        # A word after "host" is a host only when it looks like one ("Host key verification
        # failed" names no host); workstation names follow TWS naming rules instead.
        if workstation or is_hostname(value):
            out.append(value)

    for pattern in _HOST_PATTERNS:
        for m in pattern.finditer(text):
            add(m.group(1))
    for m in _IP.finditer(text):
        add(m.group(0))
    for m in _WS_REF.finditer(text):
        add(m.group(1), workstation=True)
    return out


# A quoted relation name (PostgreSQL prints `relation "fin.gl_journal"`): lower case is fine there.
_QUOTED_RELATION = re.compile(r"\b(?:relation|table)\s+\"([A-Za-z_][\w$#]*(?:\.[A-Za-z_][\w$#]*)?)\"")


def extract_db_objects(text: str) -> list[str]:
    """Tables, constraints, tablespaces and similar objects named in `text`."""
    out: list[str] = [m.group(1) for m in _QUOTED_RELATION.finditer(text)]
    for pattern in _DB_PATTERNS:
        for m in pattern.finditer(text):
            value = m.group(1).strip(_TRAILING)
            if (
                not value
                or value.upper() in _DB_STOP
                or value in out
                or "/" in value
                or _NOT_HOST.search(value)
                or value.islower()
            ):
                continue
            out.append(value)
    return out


def parent_dir(path: str) -> str | None:
    """The directory holding `path` (None for a top-level path)."""
    parent = posixpath.dirname(path.rstrip("/"))
    return parent if parent and parent != "/" else None


def mount_hint(path: str) -> str:
    """A directory to run `df -h` on: the first two levels of an absolute path (`/data/fin`)."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts[:2]) if len(parts) >= 2 else (path or "/")
