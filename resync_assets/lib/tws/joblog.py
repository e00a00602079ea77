"""Joblog text as the client returns it: decoded without ever failing, capped in size, flagged."""

from __future__ import annotations

import codecs
import dataclasses

TRUNCATION_MARKER = "[resync: joblog truncated at {limit} bytes]"


@dataclasses.dataclass(frozen=True)
class Joblog:
    """One fetched joblog.

    ``text`` is the body decoded with ``encoding`` (invalid bytes become U+FFFD, and
    ``had_invalid_utf8`` says so); ``byte_size`` is the number of body bytes kept (at most the cap);
    when the body was longer than the cap, ``truncated`` is true and ``text`` ends with the line
    ``[resync: joblog truncated at N bytes]``. ``line_count`` counts the joblog's own lines (the
    marker line is not counted). ``close_delimited`` is true when the body had neither a
    Content-Length nor chunked framing, so only the server closing the connection ended it: a cut
    body then looks complete to HTTP.
    """

    run_id: str
    text: str = dataclasses.field(repr=False)
    byte_size: int
    encoding: str
    had_invalid_utf8: bool
    truncated: bool
    line_count: int
    close_delimited: bool = False


def normalize_encoding(charset: str | None) -> str:
    """The codec to decode a body with: the declared charset if Python knows it, else utf-8."""
    if charset:
        try:
            return codecs.lookup(charset.strip().strip('"')).name
        except LookupError:
            pass
    return "utf-8"


def decode_joblog(
    run_id: str,
    data: bytes,
    *,
    truncated: bool,
    limit: int,
    charset: str | None = None,
    close_delimited: bool = False,
) -> Joblog:
    """Decode joblog bytes into a :class:`Joblog`; never raises on bad bytes.

    When the body was cut at the cap, a multi-byte character split by the cut is dropped rather than
    counted as invalid input.
    """
    encoding = normalize_encoding(charset)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    invalid = False
    try:
        text = decoder.decode(data, final=not truncated)
    except UnicodeDecodeError:
        invalid = True
        replacing = codecs.getincrementaldecoder(encoding)(errors="replace")
        text = replacing.decode(data, final=not truncated)
    line_count = _count_lines(text)
    if truncated:
        if text and not text.endswith("\n"):
            text += "\n"
        text += TRUNCATION_MARKER.format(limit=limit) + "\n"
    return Joblog(
        run_id=run_id,
        text=text,
        byte_size=len(data),
        encoding=encoding,
        had_invalid_utf8=invalid,
        truncated=truncated,
        line_count=line_count,
        close_delimited=close_delimited,
    )


def _count_lines(text: str) -> int:
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)
