"""Failure families: the catalogue's families plus a generic keyword fallback.

A line the failure catalogue recognises takes the catalogue's family (oracle, db2, postgres, java,
shell, network, transfer, tws, app). Any other line — an error nobody catalogued — still gets a
sensible family from generic evidence: product message prefixes first (ORA- → oracle, SQLnnnnN →
db2, AWS…E → tws, Java exception classes → java), then keyword categories. Every analysis also
carries a generic `category` (filesystem, permission, network, ...) whatever its family.
"""

from __future__ import annotations

import re

# Generic categories, in priority order: the first whose pattern matches names the line. Order is
# deliberate: "password authentication failed" is authentication before database, "No space left"
# is filesystem before anything, "deadlock ... timeout" is database before timeout.
CATEGORY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx, re.IGNORECASE))
    for name, rx in (
        (
            "memory",
            (
                r"out ?of ?memory|OutOfMemory|heap space|GC overhead|Cannot allocate memory|"
                r"\bKilled\b|oom[-_ ]?kill|MemoryError|insufficient memory|memory exhausted"
            ),
        ),
        (
            "filesystem",
            (
                r"No space left|disk (?:is )?full|file ?system (?:is )?full|quota exceeded|"
                r"read-only file ?system|I/O error|Input/output error|\bENOSPC\b|device full"
            ),
        ),
        (
            "authentication",
            (
                r"authenticat|password|passwd|login incorrect|logon denied|credential|"
                r"unauthori[sz]ed|\b401\b|invalid user|user ID .* not valid|Incorrect user name|"
                r"publickey|kerberos|token (?:expired|invalid)|\b530\b"
            ),
        ),
        (
            "permission",
            (
                r"permission denied|access (?:is )?denied|not permitted|\bEACCES\b|forbidden|"
                r"\b403\b|insufficient privilege|not authori[sz]ed|privileges? (?:denied|required)"
            ),
        ),
        (
            "database",
            (
                r"\bORA-\d{4,5}|\bSQL\d{4,5}[A-Z]\b|SQLSTATE|deadlock|unique constraint|duplicate key|"
                r"tablespace|transaction log|\bpsql\b|\bJDBC\b|database|\bDB2\b|SQL\*Loader|"
                r"undefined name|snapshot too old|relation .* does not exist|\bsql\b"
            ),
        ),
        ("timeout", r"timed? ?out|timeout|deadline exceeded|Maximum Duration|took too long|expired after"),
        (
            "network",
            (
                r"connection (?:refused|reset|closed|aborted)|unreachable|no route to host|"
                r"unknown host|resolve host|Name or service not known|\bsocket\b|\bSSL\b|\bTLS\b|"
                r"certificate|\bTNS\b|communication|network|\bDNS\b|host key|broken pipe|"
                r"\bport \d+|data connection|ECONNREFUSED|EHOSTUNREACH|connect(?:ion)? (?:failed|error)|"
                r"\bresolve\b|\blink ?errors?\b|link (?:down|failure|training|has been severed)|"
                r"domain name|host name|\bRoute\b|Service Unavailable|Bad Gateway|Gateway Time-?out"
            ),
        ),
        (
            "dependency",
            (
                r"No such file|not found|does not exist|cannot stat|can't stat|FileNotFound|"
                r"\bmissing\b|is empty|0 records|cannot find|could not find|could not load|"
                r"ClassNotFound|NoClassDefFound|no such|cannot open|unable to open|"
                r"not available|unavailable|lock file|already running|another instance"
            ),
        ),
        (
            "script",
            (
                r"syntax error|command not found|unbound variable|bad interpreter|unexpected token|"
                r"NameError|TypeError|AttributeError|KeyError|ValueError|NullPointer|Segmentation fault|"
                r"core dumped|Traceback|line \d+:|\bexit (?:code|status) \d+|Terminated|illegal|"
                r"invalid (?:argument|option|syntax)|parse error|IndexError|assert"
            ),
        ),
    )
)
CATEGORIES: tuple[str, ...] = tuple(name for name, _ in CATEGORY_RULES) + ("application",)

# The catalogue family's usual category, when the line's own words do not say.
FAMILY_CATEGORY = {
    "oracle": "database",
    "db2": "database",
    "postgres": "database",
    "java": "application",
    "shell": "script",
    "network": "network",
    "transfer": "network",
    "tws": "application",
    "app": "application",
}

# Product families recognised from message prefixes, for lines outside the catalogue.
_PRODUCT_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("oracle", re.compile(r"\b(?:ORA|TNS|SP2|PLS|IMP|EXP|RMAN)-\d{4,5}\b|SQL\*Loader-\d+")),
    ("db2", re.compile(r"\bSQL\d{4,5}[NCW]\b|\bDB2\d{4,5}[NCEW]\b|\bDBA\d{4}[NCEW]\b")),
    ("postgres", re.compile(r"\bpsql\b|\bPSQLException\b|\bpg_\w+|postgres", re.IGNORECASE)),
    ("tws", re.compile(r"\bAW[SK][A-Z]{3}\d{3,4}[EW]\b|\bjobmanrc\b|\bconman\b|\bbatchman\b")),
    (
        "java",
        re.compile(
            r"\b(?:java|javax|jakarta|org\.apache|com\.ibm)\.[\w.$]*(?:Exception|Error)\b|"
            r"Exception in thread|^\s*at [\w$.<>]+\(|\bJVM\b"
        ),
    ),
)


def category_of(text: str) -> str:
    """Generic category of one line (`application` when no keyword rule matches)."""
    for name, pattern in CATEGORY_RULES:
        if pattern.search(text):
            return name
    return "application"


def product_family(text: str) -> str | None:
    """A product family recognised from message prefixes, or None."""
    for name, pattern in _PRODUCT_FAMILIES:
        if pattern.search(text):
            return name
    return None


# The tool that printed a line, from its usual prefix: coreutils and other shell tools print
# `tool: message`, bash `script: line N: ...`, transfer tools and HTTP clients their own names,
# PostgreSQL `ERROR:  ` / `FATAL:  ` with two spaces, Python `SomethingError: ` at the start.
_TOOL_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    # Each tool prefix may follow the script's own `name: ` prefix (`load_gl: unzip: ...`).
    (name, re.compile(r"^\s*(?:[\w.-]+: )?(?:" + rx + ")"))
    for name, rx in (
        (
            "transfer",
            r"(?:rsync|scp|sftp|ssh|ftp|lftp)(?: error)?:|ssh: connect to host\b|Host key verification",
        ),
        ("network", r"(?:curl|wget|nc|ncat|telnet|openssl):|ERROR \d{3}: |HTTP/\d"),
        ("postgres", r"psql:|(?:ERROR|FATAL|PANIC):  \S"),
        (
            "shell",
            (
                r"/[\w./-]+: line \d+: |(?:cp|mv|rm|ls|cat|tar|gzip|gunzip|unzip|zip|find|sort|mkdir|chmod|"
                r"chown|ln|dd|mount(?:\.\w+)?|umount|df|du|sed|awk|grep|gpg|bash|sh|ksh|xargs|split|iconv):"
            ),
        ),
        ("java", r"Exception in thread|(?:[a-z_][\w$]*\.){2,}[A-Z][\w$]*(?:Exception|Error)\b"),
        ("app", r"Traceback \(most recent|[A-Z][A-Za-z]*(?:Error|Exception|Warning): "),
    )
)
# Generic categories that say which family a line belongs to when nothing more specific does.
_CATEGORY_FAMILY = {
    "network": "network",
    "timeout": "network",
    "script": "shell",
    "filesystem": "shell",
    "permission": "shell",
    "application": "app",
}


def tool_family(text: str) -> str | None:
    """A family recognised from the tool that printed the line (its prefix, after a timestamp /
    level / logger prefix when there is one), or None."""
    from resync_assets.lib.rca.advice import message_of

    for candidate in dict.fromkeys((text, message_of(text))):
        for name, pattern in _TOOL_FAMILIES:
            if pattern.search(candidate):
                return name
    return None


def fallback_family(text: str) -> str:
    """Family of a line no catalogue signature matched: a product family (message prefixes), else the
    printing tool's family, else the family its generic category implies, else the category."""
    category = category_of(text)
    return product_family(text) or tool_family(text) or _CATEGORY_FAMILY.get(category, category)
