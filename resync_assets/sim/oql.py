"""OQL (Orchestration Query Language) parser and evaluator for the simulator.

Grammar (keywords case-insensitive, AND binds tighter than OR, parentheses group):

    query      := [ expression ] [ ORDER BY field [ASC|DESC] { , field [ASC|DESC] } ]
    expression := and_expr { OR and_expr }
    and_expr   := term { AND term }
    term       := ( expression ) | field op value | field IN [ value {, value} ] | field LIKE 'pattern'
    op         := = | != | < | <= | > | >=
    value      := integer | decimal | 'string' | true | false | null | ISO instant | ISO duration

* Strings are single-quoted; a doubled quote inside (`'O''Brien'`) stands for one quote.
* LIKE: `@` matches any run of characters (also none); the rest is literal and case-sensitive.
* Instants are unquoted (`2025-03-14T00:00:00.000`, optional `Z` or `+01:00`); without a zone the
  `Local-Timezone` header's zone applies (UTC when absent). Durations are unquoted (`PT2H`, `P1D`).
* A field is a dotted JSON path of the returned object; arrays are walked through
  (`jobruns.compositeStatus.status`). A term is true when ANY value reached by the path satisfies it;
  `field = null` is also true when the path reaches nothing, `field != null` needs a non-null value.
* ORDER BY sorts by the first value the path reaches; nulls sort last; without ORDER BY the server
  orders by `id`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

__all__ = ["OqlError", "Query", "parse", "parse_duration"]


class OqlError(ValueError):
    """A syntax or semantic error in an OQL query; `position` is the 0-based offset."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message if position is None else f"{message} (at position {position})")
        self.position = position


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<unterminated>'[^\n]*)
  | (?P<instant>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|=|<|>)
  | (?P<punct>[()\[\],])
  | (?P<word>[A-Za-z][A-Za-z0-9_.\-]*)
""",
    re.VERBOSE,
)

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)

_KEYWORDS = {"AND", "OR", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC", "TRUE", "FALSE", "NULL"}


@lru_cache(maxsize=65536)
def parse_duration(text: str) -> float | None:
    """ISO-8601 duration → seconds (years = 365 d, months = 30 d), or None when `text` is not one."""
    m = _DURATION.match(text)
    if not m:
        return None
    g = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    return (g["y"] * 365 + g["mo"] * 30 + g["w"] * 7 + g["d"]) * 86400 + g["h"] * 3600 + g["mi"] * 60 + g["s"]


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise OqlError(f"unexpected character {text[pos]!r}", pos)
        kind = m.lastgroup
        if kind == "unterminated":
            raise OqlError("unterminated string literal", pos)
        if kind != "ws":
            out.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    out.append(_Tok("end", "", len(text)))
    return out


# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Instant:
    canonical: str  # YYYY-MM-DDTHH:MM:SS.mmmZ, comparable as a string with served instants


@dataclass(frozen=True)
class _Duration:
    seconds: float


def _instant(text: str, zone: tzinfo, pos: int) -> _Instant:
    raw = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", raw):
        raw = raw[:-2] + ":" + raw[-2:]
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        raise OqlError(f"invalid instant {text!r}", pos) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone)
    dt = dt.astimezone(UTC)
    return _Instant(f"{dt:%Y-%m-%dT%H:%M:%S}.{dt.microsecond // 1000:03d}Z")


def _compare(x: Any, v: Any, op: str) -> bool:
    if v is None:
        return (x is None) if op == "=" else (x is not None) if op == "!=" else False
    if x is None:
        return False
    if isinstance(v, bool):
        if not isinstance(x, bool):
            return False
        return (x == v) if op == "=" else (x != v) if op == "!=" else False
    if isinstance(v, _Instant):
        if not isinstance(x, str):
            return False
        a, b = x, v.canonical
    elif isinstance(v, _Duration):
        if not isinstance(x, str):
            return False
        a = parse_duration(x)
        if a is None:
            return False
        b = v.seconds
    elif isinstance(v, (int, float)):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return False
        a, b = x, v
    else:
        if not isinstance(x, str):
            return False
        a, b = x, v
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


# --- paths -------------------------------------------------------------------------------------


def _getter(path: str) -> Callable[[dict], list]:
    parts = path.split(".")

    def get(obj: dict) -> list:
        current = [obj]
        for part in parts:
            nxt = []
            for item in current:
                if isinstance(item, dict):
                    if part in item:
                        value = item[part]
                        if isinstance(value, list):
                            nxt.extend(value)
                        else:
                            nxt.append(value)
                elif isinstance(item, list):
                    for sub in item:
                        if isinstance(sub, dict) and part in sub:
                            value = sub[part]
                            nxt.extend(value) if isinstance(value, list) else nxt.append(value)
            current = nxt
            if not current:
                break
        return current

    return get


# --- parser ------------------------------------------------------------------------------------


@dataclass
class Query:
    """A parsed query: `matches(obj)` and `sort(objs)`; `source` is the original text."""

    source: str
    predicate: Callable[[dict], bool] | None
    order: list[tuple[str, bool]]  # (path, descending)
    fields: tuple[str, ...]

    def matches(self, obj: dict) -> bool:
        """True when `obj` satisfies the filter (always true without one)."""
        return True if self.predicate is None else self.predicate(obj)

    def sort(self, objs: list[dict]) -> list[dict]:
        """Sort by the ORDER BY keys (stable; nulls last), or return `objs` unchanged."""
        out = list(objs)
        for path, desc in reversed(self.order):
            get = _getter(path)
            present = [o for o in out if _first(get(o)) is not None]
            missing = [o for o in out if _first(get(o)) is None]
            present.sort(key=lambda o: _sort_key(_first(get(o))), reverse=desc)
            out = present + missing
        return out


def _is_null(values: list) -> bool:
    return not values or any(x is None for x in values)


def _first(values: list):
    for v in values:
        if v is not None:
            return v
    return None


def _sort_key(v):
    if isinstance(v, bool):
        return (0, int(v), "")
    if isinstance(v, (int, float)):
        return (1, v, "")
    d = parse_duration(v) if isinstance(v, str) and v.startswith("P") else None
    if d is not None:
        return (1, d, "")
    return (2, 0, str(v))


class _Parser:
    def __init__(self, text: str, zone: tzinfo, field_check: Callable[[str], str | None] | None):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.zone = zone
        self.field_check = field_check
        self.fields: list[str] = []

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def kw(self, tok: _Tok) -> str | None:
        return tok.text.upper() if tok.kind == "word" and tok.text.upper() in _KEYWORDS else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect_punct(self, char: str) -> None:
        tok = self.take()
        if tok.text != char or tok.kind != "punct":
            raise OqlError(f"expected {char!r} but found {tok.text or 'end of query'!r}", tok.pos)

    def parse(self) -> Query:
        predicate = None
        tok = self.peek()
        if tok.kind != "end" and self.kw(tok) != "ORDER":
            predicate = self.expression()
        order = []
        tok = self.peek()
        if self.kw(tok) == "ORDER":
            self.take()
            by = self.take()
            if self.kw(by) != "BY":
                raise OqlError("expected BY after ORDER", by.pos)
            while True:
                path = self.field()
                desc = False
                nxt = self.peek()
                if self.kw(nxt) in ("ASC", "DESC"):
                    desc = self.take().text.upper() == "DESC"
                order.append((path, desc))
                if self.peek().kind == "punct" and self.peek().text == ",":
                    self.take()
                    continue
                break
        tok = self.peek()
        if tok.kind != "end":
            raise OqlError(f"unexpected {tok.text!r}", tok.pos)
        return Query(self.text, predicate, order, tuple(self.fields))

    def expression(self):
        left = self.and_expr()
        parts = [left]
        while self.kw(self.peek()) == "OR":
            self.take()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return left
        return lambda o, ps=tuple(parts): any(p(o) for p in ps)

    def and_expr(self):
        left = self.term()
        parts = [left]
        while self.kw(self.peek()) == "AND":
            self.take()
            parts.append(self.term())
        if len(parts) == 1:
            return left
        return lambda o, ps=tuple(parts): all(p(o) for p in ps)

    def field(self) -> str:
        tok = self.take()
        if tok.kind != "word" or self.kw(tok):
            raise OqlError(f"expected a field name but found {tok.text or 'end of query'!r}", tok.pos)
        if tok.text.endswith(".") or ".." in tok.text:
            raise OqlError(f"invalid field name {tok.text!r}", tok.pos)
        path = tok.text
        if self.field_check is not None:
            resolved = self.field_check(path)
            if resolved is None:
                raise OqlError(f"unknown field {path!r}", tok.pos)
            path = resolved
        self.fields.append(path)
        return path

    def value(self):
        tok = self.take()
        if tok.kind == "string":
            return tok.text[1:-1].replace("''", "'")
        if tok.kind == "number":
            return float(tok.text) if "." in tok.text else int(tok.text)
        if tok.kind == "instant":
            return _instant(tok.text, self.zone, tok.pos)
        if tok.kind == "word":
            k = tok.text.upper()
            if k == "TRUE":
                return True
            if k == "FALSE":
                return False
            if k == "NULL":
                return None
            seconds = parse_duration(tok.text)
            if seconds is not None:
                return _Duration(seconds)
        raise OqlError(f"expected a value but found {tok.text or 'end of query'!r}", tok.pos)

    def term(self):
        tok = self.peek()
        if tok.kind == "punct" and tok.text == "(":
            self.take()
            inner = self.expression()
            self.expect_punct(")")
            return inner
        path = self.field()
        get = _getter(path)
        op_tok = self.take()
        kw = self.kw(op_tok)
        if op_tok.kind == "op":
            op = op_tok.text
            v = self.value()
            if v is None and op not in ("=", "!="):
                raise OqlError(f"operator {op} cannot compare with null", op_tok.pos)
            if isinstance(v, bool) and op not in ("=", "!="):
                raise OqlError(f"operator {op} cannot compare with a boolean", op_tok.pos)
            if v is None and op == "=":
                return lambda o: _is_null(get(o))
            return lambda o: any(_compare(x, v, op) for x in get(o))
        if kw == "IN":
            self.expect_punct("[")
            values = [self.value()]
            while self.peek().kind == "punct" and self.peek().text == ",":
                self.take()
                values.append(self.value())
            self.expect_punct("]")
            return lambda o: any(_compare(x, v, "=") for x in get(o) for v in values)
        if kw == "LIKE":
            pat = self.take()
            if pat.kind != "string":
                raise OqlError("LIKE needs a quoted pattern", pat.pos)
            raw = pat.text[1:-1].replace("''", "'")
            regex = re.compile("".join(".*" if c == "@" else re.escape(c) for c in raw), re.DOTALL)
            return lambda o: any(isinstance(x, str) and regex.fullmatch(x) is not None for x in get(o))
        raise OqlError(
            f"expected an operator, IN or LIKE but found {op_tok.text or 'end of query'!r}", op_tok.pos
        )


def parse(text: str, *, zone: tzinfo = UTC, field_check: Callable[[str], str | None] | None = None) -> Query:
    """Parse `text`; `field_check(path)` returns the canonical path or None for an unknown field."""
    if text is None:
        text = ""
    if len(text) > 8192:
        raise OqlError("query too long")
    return _Parser(text, zone, field_check).parse()
