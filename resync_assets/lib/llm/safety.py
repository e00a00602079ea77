"""What an LLM answer may put in front of an operator.

Joblog text is data: whatever it says ("ignore previous instructions", "run rm -rf /", a fake JSON
answer, a `SYSTEM:` line) must not change the output format or trigger anything. resync never runs a
command; on top of that, a command suggested by the model goes through the same gate as the rules'
commands (`lib/rca/commands.vet_command`: an allowed read-only shape, validated arguments, rebuilt
with shlex quoting). Anything else loses its command and is marked a suggestion, and text that looks
like an injected instruction or a destructive command is dropped. Model text is shown as plain
text: HTML tags (`<a href='javascript:...'>`) and script URLs are removed.
"""

from __future__ import annotations

import html
import re

from resync_assets.lib.safety.commands import safe_step, vet_command

_INJECTION = re.compile(
    r"ignore (?:all |any )?(?:previous|prior|above) (?:instructions|prompts?)|disregard (?:the |all )?"
    r"(?:previous|above|system)|^\s*(?:SYSTEM|ASSISTANT|USER)\s*:|you are now|new instructions|"
    r"\brm\s+-[a-z]*[rf]|mkfs|\bdd\s+if=|:\(\)\s*\{|curl[^|]*\|\s*(?:ba)?sh|wget[^|]*\|\s*(?:ba)?sh|"
    r"chmod\s+(?:-R\s+)?777|shutdown|reboot|drop\s+(?:table|database)|truncate\s+table|"
    r"base64\s+-d|/dev/tcp/|nc\s+-e|python\s+-c|eval\s*\(|exec\s*\(",
    re.IGNORECASE | re.MULTILINE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TAG = re.compile(r"</?[A-Za-z!?][^<>]*>?|<!--.*?-->", re.DOTALL)
_SCRIPT_URL = re.compile(r"\b(?:javascript|vbscript|data)\s*:", re.IGNORECASE)


def is_allowed_command(command: str) -> bool:
    """True when `command` passes the one command gate (`vet_command`) unchanged in meaning."""
    return vet_command((command or "").strip()) is not None


def looks_injected(text: str) -> bool:
    """True when `text` reads like an instruction aimed at the model or a destructive command."""
    return bool(_INJECTION.search(text or ""))


def clean_text(text: str, limit: int) -> str:
    """Plain text: HTML entities decoded, tags and script URLs removed, control characters
    removed, whitespace collapsed, capped."""
    text = html.unescape(_CONTROL.sub(" ", text or ""))
    text = _SCRIPT_URL.sub("", _TAG.sub(" ", text)).replace("<", " ").replace(">", " ")
    return re.sub(r"\s+", " ", text).strip()[:limit]


# [text](url) and ![alt](url), one level of parentheses in the url: the text stays
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_SCRIPT = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_URL = re.compile(r"\b(?:https?|ftp|file)://\S+|\bwww\.\S+", re.IGNORECASE)
_MD_MARK = re.compile(r"[`*~|\[\]]")
_MD_PREFIX = re.compile(r"^(?:\s*(?:#+|[-+>]|\d+\.)\s+)+")  # heading, list or quote marker


def plain_sentence(text: str, limit: int) -> str:
    """`clean_text` for a sentence shown in reports, e-mail and chat: script and style elements,
    terminal escape sequences, Markdown links, images and emphasis marks and any URL are removed
    too, so the model can neither format the output nor plant a link."""
    text = _MD_LINK.sub(r"\1", _SCRIPT.sub(" ", _ANSI.sub("", text or "")))
    text = clean_text(text, 4 * limit)
    text = _URL.sub("", _MD_LINK.sub(r"\1", text))
    text = _MD_PREFIX.sub("", _MD_MARK.sub("", text).strip())
    return re.sub(r"\s+", " ", text).strip()[:limit]


def filter_steps(steps: list[dict]) -> tuple[list[dict], int]:
    """Safe steps from an LLM answer and the number dropped.

    A step with an allowed command keeps it (in the gate's canonical, quoted form); a step whose
    command is not allowed keeps its text as a suggestion without the command; a step whose text or
    command looks injected is dropped.
    """
    out: list[dict] = []
    dropped = 0
    for step in steps:
        text = clean_text(str(step.get("text") or ""), 300)
        command = clean_text(str(step.get("command") or ""), 200) or None
        if not text or looks_injected(text) or (command and looks_injected(command)):
            dropped += 1
            continue
        step = safe_step({"text": text, "command": command, "suggestion": False}, source="llm")
        if step["command"] is None:
            step["suggestion"] = True
        out.append(step)
    return out, dropped
