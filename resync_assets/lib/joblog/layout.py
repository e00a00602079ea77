"""Bounded reading of a joblog: line numbering, header/trailer fields, body lines.

A joblog can be anything a job printed: 50 MB of output, invalid UTF-8, NUL bytes, a single line of
gigabytes. Everything here streams: a file is read line by line with a capped `readline`, every line
is cut at `MAX_LINE_CHARS`, control characters are replaced, and nothing keeps more than a bounded
number of lines. Line numbers are 1-based and count `\\n` only (what `split("\\n")` of the served text
gives), so they match the line numbers of the joblog as given.

Layout rules follow docs/joblog_layout.md §2: banner lines of `=`, `= KEY : value` header and
trailer fields, the jobmanrc preamble, `= Exit Status : N` in the trailer. Terminal colour codes
(ANSI escape sequences) are removed, not blanked: `\x1b[31mORA-00060\x1b[0m` reads `ORA-00060`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Longer lines are cut: the first 2,000 characters name the error if any part of the line does.
MAX_LINE_CHARS = 2000
# Bytes read per `readline` call; the rest of an over-long line is skipped in chunks of this size.
_READ_CHUNK = 8192

BANNER = re.compile(r"^={10,}\s*$")
FIELD = re.compile(r"^= (?P<key>[A-Za-z][A-Za-z ]*?(?:\s*\([^)]*\))?)\s*:\s?(?P<value>.*)$")
_JOB_REF = re.compile(
    r"^(?P<ws>[^#\s]+)#(?P<stream>[^\[.(\s]+)(?:\[[^\]]*\])?(?:\([^)]*\))?\.(?P<job>[^\s\[(]+)"
)
_SCRIPT_TAG = re.compile(r"<jsdle:script>(?P<script>[^<]*)</jsdle:script>")
# Written by jobmanrc / the agent around the job's own output (docs/joblog_layout.md §2.2, §2.6).
PREAMBLE = re.compile(
    r"^(?:.*\bfor UNIX/JOBMANRC\b.*|.*\)/JOBINFO\b.*|AWSBIS30[78]I\b.*|Installed for user\b.*"
    r"|Locale LANG set to the following\b.*)$"
)
# C0 controls (but tab) and DEL: NUL bytes and terminal escapes carry no evidence and must not
# reach a terminal or a prompt.
_PREAMBLE_HINTS = ("JOBMANRC", "JOBINFO", "AWSBIS30", "Installed for user", "Locale LANG")


def is_preamble(line: str) -> bool:
    """True for a jobmanrc/agent preamble line (cheap substring test before the regex)."""
    return any(h in line for h in _PREAMBLE_HINTS) and bool(PREAMBLE.match(line.strip()))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# ANSI escape sequences: CSI (`ESC [ ... final`, colours and cursor moves), OSC (`ESC ] ... BEL/ST`,
# terminal titles, hyperlinks) and two-character escapes. Removed whole, so the words they wrap
# keep their boundaries.
_ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]"
)


def clean_line(raw: bytes | str) -> str:
    """One joblog line as safe text: decoded (invalid UTF-8 replaced), ANSI escape sequences
    removed, other control characters replaced by spaces, capped at `MAX_LINE_CHARS`."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS]
    text = text.rstrip("\r\n")
    if "\x1b" in text or "\x9b" in text:
        text = _ANSI.sub("", text)
    if _CONTROL.search(text):
        text = _CONTROL.sub(" ", text)
    return text.rstrip()


def iter_lines(source: str | bytes | Path | io.BufferedIOBase) -> Iterator[tuple[int, str]]:
    """Yield `(line_no, clean text)` for every line of a joblog, 1-based, in bounded memory.

    `source` is the joblog text, its bytes, a path, or a binary file object. A file is never read
    whole: each line is read up to `_READ_CHUNK` bytes and the rest of a longer line is skipped.
    """
    if isinstance(source, Path):
        with open(source, "rb") as fh:
            yield from _iter_stream(fh)
        return
    if isinstance(source, (bytes, bytearray)):
        yield from _iter_stream(io.BytesIO(bytes(source)))
        return
    if isinstance(source, str):
        yield from _iter_text(source)
        return
    yield from _iter_stream(source)


def _iter_text(text: str) -> Iterator[tuple[int, str]]:
    start = 0
    n = 0
    length = len(text)
    while start < length:
        end = text.find("\n", start)
        if end < 0:
            end = length
        n += 1
        # Slice at most the cap: a multi-megabyte line is never copied whole.
        yield n, clean_line(text[start : min(end, start + MAX_LINE_CHARS)])
        start = end + 1


def _iter_stream(fh) -> Iterator[tuple[int, str]]:
    n = 0
    while True:
        chunk = fh.readline(_READ_CHUNK)
        if not chunk:
            return
        n += 1
        head = chunk
        while not chunk.endswith(b"\n"):
            chunk = fh.readline(_READ_CHUNK)
            if not chunk:
                break
        yield n, clean_line(head)


@dataclass
class JoblogHeader:
    """What the header and trailer say about the run (fields absent from the log stay None)."""

    workstation: str | None = None
    stream: str | None = None
    job: str | None = None
    job_ref: str | None = None
    user: str | None = None
    script: str | None = None
    agent: str | None = None
    job_number: str | None = None
    exit_status: int | None = None
    has_trailer: bool = False
    fields: dict[str, str] = field(default_factory=dict)

    def conman_ref(self) -> str | None:
        """`<ws>#<stream>.<job>` (folder kept in the stream) as conman's job selection takes it."""
        if self.workstation and self.stream and self.job:
            return f"{self.workstation}#{self.stream}.{self.job}"
        return None


class LayoutTracker:
    """Follows the banner/field structure line by line and says which lines are body lines.

    Fed every line in order (`feed`), it returns True for body lines (the job's output, preamble
    excluded) and fills a :class:`JoblogHeader` from header and trailer fields. A log without banners
    (fetched with `contentOnly`) is all body.
    """

    def __init__(self) -> None:
        self.header = JoblogHeader()
        self._state = "start"  # start → header → body → trailer
        self._in_task = False
        self._last_field: str | None = None

    def feed(self, line_no: int, line: str) -> bool:
        """Consume one line; True when it is a body line worth scanning."""
        state = self._state
        if state == "body" and not line.startswith("="):
            # The hot path of a long log: plain output lines.
            return bool(line.strip()) and not is_preamble(line)
        if BANNER.match(line):
            if state == "start":
                self._state = "header"
            elif state == "header":
                self._state = "body"
                self._in_task = False
            elif state == "body":
                self._state = "trailer"
            return False
        if state == "start":
            if FIELD.match(line):
                self._state = "header"
                return self._header_line(line)
            self._state = "body"
            state = "body"
        if state == "header":
            return self._header_line(line)
        if state == "trailer":
            m = FIELD.match(line)
            if m:
                self._field(m.group("key"), m.group("value"))
                self.header.has_trailer = True
                return False
            if line.startswith("= ") or not line.strip():
                return False
            # Output after a banner that opened no trailer: the banner was part of the output.
            self._state = "body"
        return bool(line.strip()) and not is_preamble(line)

    def _header_line(self, line: str) -> bool:
        m = FIELD.match(line)
        if m and not (
            self._in_task and m.group("key").strip().upper() not in {"TWSRCMAP", "AGENT", "JOB NUMBER"}
        ):
            self._in_task = m.group("key").strip().upper() == "TASK"
            self._field(m.group("key"), m.group("value"))
            return False
        if self._in_task:
            tag = _SCRIPT_TAG.search(line)
            if tag and not self.header.script:
                self.header.script = (
                    tag.group("script").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                )
            return False
        # Timestamp line (`= Fri Mar 14 ...`) or any other header decoration.
        return False

    def _field(self, key: str, value: str) -> None:
        key = re.sub(r"\s+", " ", key.strip()).upper()
        value = value.strip()
        h = self.header
        if len(h.fields) < 64:
            h.fields[key] = value[:500]
        if key == "JOB":
            h.job_ref = value[:500]
            m = _JOB_REF.match(value)
            if m:
                h.workstation, h.stream, h.job = m.group("ws"), m.group("stream"), m.group("job")
        elif key == "USER":
            h.user = value or None
        elif key == "JCLFILE":
            h.script = value or None
        elif key == "AGENT":
            h.agent = value or None
        elif key == "JOB NUMBER":
            h.job_number = value or None
        elif key == "EXIT STATUS":
            try:
                h.exit_status = int(value.split()[0])
            except (ValueError, IndexError):
                pass


def body_lines(source: str | bytes | Path | None) -> list[tuple[int, str]]:
    """The job's own output lines as `(line_no, clean text)`: header, trailer, banners, the jobmanrc
    preamble and empty lines dropped; 1-based numbers of the joblog as given."""
    if not source:
        return []
    layout = LayoutTracker()
    return [(n, line) for n, line in iter_lines(source) if layout.feed(n, line)]


def read_window(
    source: str | bytes | Path, center: int, before: int = 30, after: int = 29, max_bytes: int = 8192
) -> list[tuple[int, str]]:
    """Lines `center - before` .. `center + after` of a joblog (second bounded pass), capped in bytes.

    The cap keeps the lines nearest to `center` first, so the error line always survives.
    """
    lo, hi = max(1, center - before), center + after
    window: list[tuple[int, str]] = []
    for n, line in iter_lines(source):
        if n < lo:
            continue
        if n > hi:
            break
        window.append((n, line[:400]))
    return cap_window(window, center, max_bytes)


def cap_window(window: Iterable[tuple[int, str]], center: int, max_bytes: int) -> list[tuple[int, str]]:
    """Keep lines nearest to `center` while their total UTF-8 size stays within `max_bytes`."""
    ordered = sorted(window, key=lambda x: (abs(x[0] - center), x[0]))
    kept, size = [], 0
    for n, line in ordered:
        cost = len(line.encode("utf-8")) + 8
        if size + cost > max_bytes:
            continue
        kept.append((n, line))
        size += cost
    return sorted(kept)
