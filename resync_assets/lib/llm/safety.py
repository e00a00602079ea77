"""What an LLM answer may put in front of an operator.

Joblog text is data: whatever it says ("ignore previous instructions", "run rm -rf /", a fake JSON
answer, a `SYSTEM:` line) must not change the output format or trigger anything. resync never runs a
command; on top of that, a command suggested by the model is only shown as a command when it has one
of the read-only diagnostic shapes below. Anything else loses its command and is marked a
suggestion, and text that looks like an injected instruction or a destructive command is dropped.
"""

from __future__ import annotations

import re

_SAFE_ARG = r"[\w./@%+:,=#~-]+"
# Read-only diagnostics and the TWS actions an operator takes anyway (rerun, show job, show stdlist).
ALLOWED_COMMANDS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(rx)
    for rx in (
        rf'^conman "(?:rr|rerun|sj|showjobs|ss|showschedules) {_SAFE_ARG}(?:;(?:std|stdlist|from={_SAFE_ARG}))?"$',
        rf"^df -h(?: {_SAFE_ARG})?$",
        rf"^du -sh {_SAFE_ARG}$",
        rf"^ls -l[dta]*(?: {_SAFE_ARG})+$",
        r"^lsnrctl status(?: \w+)?$",
        rf"^tnsping {_SAFE_ARG}$",
        rf"^nc -vz {_SAFE_ARG} \d{{1,5}}$",
        rf"^pg_isready(?: -[hpdU] {_SAFE_ARG})*$",
        rf"^nslookup {_SAFE_ARG}$",
        rf"^ping -c \d {_SAFE_ARG}$",
        r"^free -[mgh]$",
        rf"^id {_SAFE_ARG}$",
        rf"^command -v {_SAFE_ARG}$",
        r"^db2 (?:get|list) [\w ]+$",
        rf"^db2pd -db {_SAFE_ARG} -(?:locks|logs|transactions)$",
        rf"^tail -n \d+ {_SAFE_ARG}$",
    )
)
_INJECTION = re.compile(
    r"ignore (?:all |any )?(?:previous|prior|above) (?:instructions|prompts?)|disregard (?:the |all )?"
    r"(?:previous|above|system)|^\s*(?:SYSTEM|ASSISTANT|USER)\s*:|you are now|new instructions|"
    r"\brm\s+-[a-z]*[rf]|mkfs|\bdd\s+if=|:\(\)\s*\{|curl[^|]*\|\s*(?:ba)?sh|wget[^|]*\|\s*(?:ba)?sh|"
    r"chmod\s+(?:-R\s+)?777|shutdown|reboot|drop\s+(?:table|database)|truncate\s+table|"
    r"base64\s+-d|/dev/tcp/|nc\s+-e|python\s+-c|eval\s*\(|exec\s*\(",
    re.IGNORECASE | re.MULTILINE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def is_allowed_command(command: str) -> bool:
    """True when `command` has one of the allowed read-only shapes (checked on the whole string)."""
    command = command.strip()
    if not command or len(command) > 200 or "\n" in command:
        return False
    return any(p.fullmatch(command) for p in ALLOWED_COMMANDS)


def looks_injected(text: str) -> bool:
    """True when `text` reads like an instruction aimed at the model or a destructive command."""
    return bool(_INJECTION.search(text or ""))


def clean_text(text: str, limit: int) -> str:
    """Control characters removed, whitespace collapsed, capped."""
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", text or "")).strip()[:limit]


def filter_steps(steps: list[dict]) -> tuple[list[dict], int]:
    """Safe steps from an LLM answer and the number dropped.

    A step with an allowed command keeps it; a step whose command is not allowed keeps its text as
    a suggestion without the command; a step whose text or command looks injected is dropped.
    """
    out: list[dict] = []
    dropped = 0
    for step in steps:
        text = clean_text(str(step.get("text") or ""), 300)
        command = clean_text(str(step.get("command") or ""), 200) or None
        if not text or looks_injected(text) or (command and looks_injected(command)):
            dropped += 1
            continue
        if command and is_allowed_command(command):
            out.append({"text": text, "command": command, "source": "llm", "suggestion": False})
        else:
            out.append({"text": text, "command": None, "source": "llm", "suggestion": True})
    return out, dropped
