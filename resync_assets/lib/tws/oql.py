"""A small, safe builder for OQL, the query language of the TWS REST API v2 ``oql`` parameter.

Values are always rendered by the builder, never pasted: strings are single-quoted with an embedded
quote doubled (``O'Brien`` -> ``'O''Brien'``), so no value can end its literal early and change the
query. Field names must match the grammar ``letter { letter | digit | "_" | "-" | "." }``.

    Oql.eq("jobStreamName", "DAILY_ETL") & Oql.in_("jobruns.compositeStatus.status", ["ABEND", "FAIL"])
    (Oql.like("folder", "/FIN/@") | Oql.eq("workstation", "AGT01")).order_by("schedTime", desc=True)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

_FIELD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*\Z")
_QUOTED_RE = re.compile(r"'(?:[^']|'')*'")
_ORDER_BY_RE = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_OPERATORS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def validate_field(field: str) -> str:
    """Return ``field`` if it is a valid OQL field path, else raise ValueError."""
    if not isinstance(field, str) or not _FIELD_RE.match(field):
        raise ValueError(
            f"invalid OQL field name {field!r}: must start with a letter, then letters, digits, '_', '-' or '.'"
        )
    return field


def quote_string(value: str) -> str:
    """Render a string as an OQL literal: single quotes, an embedded quote doubled."""
    return "'" + value.replace("'", "''") + "'"


def format_duration(value: dt.timedelta) -> str:
    """Render a timedelta as an ISO-8601 duration (``PT1H30M``, ``P2DT0.5S``, ``-PT5S``)."""
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    days, micros = divmod(micros, 86_400 * 1_000_000)
    hours, micros = divmod(micros, 3_600 * 1_000_000)
    minutes, micros = divmod(micros, 60 * 1_000_000)
    seconds, micros = divmod(micros, 1_000_000)
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    time = ""
    if hours:
        time += f"{hours}H"
    if minutes:
        time += f"{minutes}M"
    if seconds or micros:
        time += f"{seconds}.{micros:06d}".rstrip("0").rstrip(".") + "S"
    if time:
        out += "T" + time
    if out in ("P", "-P"):
        out = "PT0S"
    return out


def format_instant(value: dt.datetime) -> str:
    """Render a datetime as an unquoted OQL instant in UTC (``2025-12-01T00:00:00.000Z``).

    Naive datetimes are taken as UTC (the client sends ``Local-Timezone: UTC``).
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def format_value(value: object) -> str:
    """Render a Python value as an OQL value; raise TypeError for anything OQL cannot express."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, dt.datetime):
        return format_instant(value)
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    raise TypeError(
        f"OQL values must be str, int, bool, None, datetime or timedelta, not {type(value).__name__}"
    )


class Oql:
    """An immutable OQL query: an optional boolean expression plus an optional ORDER BY clause.

    Build terms with the class methods (``eq``, ``ne``, ``lt``, ``le``, ``gt``, ``ge``, ``in_``,
    ``like``), combine them with ``and_``/``or_`` (or ``&``/``|``; every compound operand is put in
    parentheses) and add sort keys with ``order_by``. ``str(query)`` is the text to send.
    """

    __slots__ = ("_compound", "_expr", "_order")

    def __init__(
        self, expr: str | None = None, *, _compound: bool = False, _order: tuple[tuple[str, str], ...] = ()
    ) -> None:
        if expr is not None and not isinstance(expr, str):
            raise TypeError("Oql(expr) takes the text of an expression; use the class methods to build terms")
        self._expr = expr or None
        self._compound = _compound if expr else False
        self._order = _order

    @classmethod
    def raw(cls, text: str) -> Oql:
        """Wrap hand-written OQL text (trusted input only: it is sent as is)."""
        if not isinstance(text, str):
            raise TypeError("Oql.raw takes a string")
        return cls(text.strip() or None, _compound=True)

    @classmethod
    def _compare(cls, field: str, op: str, value: object) -> Oql:
        validate_field(field)
        if value is None and op not in ("=", "!="):
            raise ValueError(f"OQL null can only be compared with = or !=, not {op}")
        return cls(f"{field} {op} {format_value(value)}")

    @classmethod
    def eq(cls, field: str, value: object) -> Oql:
        """``field = value``."""
        return cls._compare(field, _OPERATORS["eq"], value)

    @classmethod
    def ne(cls, field: str, value: object) -> Oql:
        """``field != value``."""
        return cls._compare(field, _OPERATORS["ne"], value)

    @classmethod
    def lt(cls, field: str, value: object) -> Oql:
        """``field < value``."""
        return cls._compare(field, _OPERATORS["lt"], value)

    @classmethod
    def le(cls, field: str, value: object) -> Oql:
        """``field <= value``."""
        return cls._compare(field, _OPERATORS["le"], value)

    @classmethod
    def gt(cls, field: str, value: object) -> Oql:
        """``field > value``."""
        return cls._compare(field, _OPERATORS["gt"], value)

    @classmethod
    def ge(cls, field: str, value: object) -> Oql:
        """``field >= value``."""
        return cls._compare(field, _OPERATORS["ge"], value)

    @classmethod
    def in_(cls, field: str, values: Iterable[object]) -> Oql:
        """``field IN [v1, v2, ...]`` (at least one value)."""
        validate_field(field)
        if isinstance(values, (str, bytes)):
            raise TypeError("Oql.in_ takes a collection of values, not a single string")
        rendered = [format_value(v) for v in values]
        if not rendered:
            raise ValueError("Oql.in_ needs at least one value")
        return cls(f"{field} IN [{', '.join(rendered)}]")

    @classmethod
    def like(cls, field: str, pattern: str) -> Oql:
        """``field LIKE 'pattern'``; ``@`` is the multi-character wildcard."""
        validate_field(field)
        if not isinstance(pattern, str):
            raise TypeError("Oql.like takes a string pattern")
        return cls(f"{field} LIKE {quote_string(pattern)}")

    @classmethod
    def _combine(cls, keyword: str, terms: tuple[Oql | str, ...]) -> Oql:
        kept: list[Oql] = []
        for term in terms:
            if isinstance(term, str):
                term = cls.raw(term)
            if not isinstance(term, Oql):
                raise TypeError(f"Oql.{keyword.lower()}_ takes Oql terms, not {type(term).__name__}")
            if term._order:
                raise ValueError("an ORDER BY clause can only be added to the whole query, not to a term")
            if term._expr is not None:
                kept.append(term)
        if not kept:
            return cls()
        if len(kept) == 1:
            return kept[0]
        text = f" {keyword} ".join(f"({t._expr})" if t._compound else t._expr for t in kept)
        return cls(text, _compound=True)

    @classmethod
    def and_(cls, *terms: Oql | str) -> Oql:
        """All terms must hold (compound terms are parenthesised)."""
        return cls._combine("AND", terms)

    @classmethod
    def or_(cls, *terms: Oql | str) -> Oql:
        """Any term may hold (compound terms are parenthesised)."""
        return cls._combine("OR", terms)

    def __and__(self, other: Oql) -> Oql:
        return Oql.and_(self, other)

    def __or__(self, other: Oql) -> Oql:
        return Oql.or_(self, other)

    def order_by(self, field: str, *, desc: bool = False) -> Oql:
        """Return the query with one more sort key appended."""
        validate_field(field)
        return Oql(
            self._expr, _compound=self._compound, _order=self._order + ((field, "DESC" if desc else "ASC"),)
        )

    @property
    def expression(self) -> str | None:
        """The boolean expression without ORDER BY, or None."""
        return self._expr

    @property
    def has_order(self) -> bool:
        """True when the query sorts its results."""
        return bool(self._order) or (self._expr is not None and has_order_by(self._expr))

    def __str__(self) -> str:
        text = self._expr or ""
        if self._order:
            clause = "ORDER BY " + ", ".join(f"{f} {d}" for f, d in self._order)
            text = f"{text} {clause}" if text else clause
        return text

    def __repr__(self) -> str:
        return f"Oql({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Oql) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def has_order_by(text: str) -> bool:
    """True when OQL text has an ORDER BY clause outside its string literals."""
    return bool(_ORDER_BY_RE.search(_QUOTED_RE.sub("''", text)))


def with_default_order(oql: Oql | str | None, field: str = "id") -> str:
    """The OQL text to send when paging: the caller's query, sorted by ``field`` if it has no ORDER BY.

    Offset paging over an unsorted result can skip or repeat items, so every paged query is sorted.
    """
    if oql is None:
        return str(Oql().order_by(field))
    if isinstance(oql, Oql):
        return str(oql if oql.has_order else oql.order_by(field))
    if not isinstance(oql, str):
        raise TypeError(f"oql must be an Oql, a string or None, not {type(oql).__name__}")
    text = oql.strip()
    if not text:
        return str(Oql().order_by(field))
    return text if has_order_by(text) else f"{text} ORDER BY {validate_field(field)} ASC"
