"""The OQL builder renders values safely and builds the query text TWS expects."""

import datetime as dt

import pytest

from resync_assets.lib.tws import Oql
from resync_assets.lib.tws.oql import format_duration, has_order_by, with_default_order


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("DAILY_ETL", "'DAILY_ETL'"),
        ("O'Brien", "'O''Brien'"),
        ("'", "''''"),
        ("", "''"),
        (42, "42"),
        (-7, "-7"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (dt.datetime(2025, 12, 1, 0, 0, tzinfo=dt.UTC), "2025-12-01T00:00:00.000Z"),
        (
            dt.datetime(2025, 12, 1, 1, 30, 5, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            "2025-12-01T00:30:05.123Z",
        ),
        (dt.datetime(2025, 12, 1, 8, 0), "2025-12-01T08:00:00.000Z"),
        (dt.timedelta(hours=4, seconds=20), "PT4H20S"),
        (dt.timedelta(days=1), "P1D"),
        (dt.timedelta(minutes=30), "PT30M"),
        (dt.timedelta(seconds=1.5), "PT1.5S"),
        (dt.timedelta(0), "PT0S"),
    ],
)
def test_eq_renders_each_value_kind(value, rendered):
    assert str(Oql.eq("f", value)) == f"f = {rendered}"


@pytest.mark.parametrize(
    ("method", "op"), [("eq", "="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">=")]
)
def test_comparison_operators(method, op):
    assert str(getattr(Oql, method)("priority", 10)) == f"priority {op} 10"


def test_quote_in_value_cannot_widen_the_query():
    hostile = "X' OR name != '"
    q = Oql.eq("name", hostile)
    assert str(q) == "name = 'X'' OR name != '''"
    # Stripping the one literal leaves exactly one term: nothing escaped into the query.
    assert str(q).replace("'X'' OR name != '''", "<lit>") == "name = <lit>"


def test_and_or_parenthesise_compound_terms():
    a, b, c = Oql.eq("a", 1), Oql.eq("b", 2), Oql.eq("c", 3)
    assert str(a & (b | c)) == "a = 1 AND (b = 2 OR c = 3)"
    assert str((a & b) | c) == "(a = 1 AND b = 2) OR c = 3"
    assert str(Oql.and_(a, b, c)) == "a = 1 AND b = 2 AND c = 3"
    assert str(Oql.or_(a)) == "a = 1"
    assert str(Oql.and_()) == ""


def test_in_and_like():
    assert (
        str(Oql.in_("jobruns.compositeStatus.status", ["ABEND", "FAIL"]))
        == "jobruns.compositeStatus.status IN ['ABEND', 'FAIL']"
    )
    assert str(Oql.like("folder", "/FIN'S/@")) == "folder LIKE '/FIN''S/@'"
    with pytest.raises(ValueError, match="at least one"):
        Oql.in_("f", [])
    with pytest.raises(TypeError, match="collection"):
        Oql.in_("f", "ABC")


def test_order_by_appends_keys():
    q = Oql.eq("jobStreamName", "S").order_by("schedTime", desc=True).order_by("id")
    assert str(q) == "jobStreamName = 'S' ORDER BY schedTime DESC, id ASC"
    assert str(Oql().order_by("id")) == "ORDER BY id ASC"
    assert q.has_order and not Oql.eq("a", 1).has_order
    with pytest.raises(ValueError, match="whole query"):
        Oql.and_(q, Oql.eq("a", 1))


@pytest.mark.parametrize(
    "field", ["", "1abc", "_x", "name = 'x' OR 1", "a b", "name;", "na'me", "a)", None, 5]
)
def test_invalid_field_names_are_rejected(field):
    with pytest.raises(ValueError, match="invalid OQL field name"):
        Oql.eq(field, "x")


@pytest.mark.parametrize("field", ["id", "key.name", "jobruns.compositeStatus.status", "a-b_c.d9"])
def test_valid_field_names(field):
    assert str(Oql.eq(field, 1)) == f"{field} = 1"


@pytest.mark.parametrize("value", [1.5, b"x", object(), dt.date(2025, 1, 1), [1]])
def test_unsupported_value_types_are_rejected(value):
    with pytest.raises(TypeError, match="OQL values must be"):
        Oql.eq("f", value)


def test_null_only_with_equality():
    assert str(Oql.ne("returnCode", None)) == "returnCode != null"
    with pytest.raises(ValueError, match="null"):
        Oql.lt("returnCode", None)


def test_default_order_is_added_only_when_missing():
    assert with_default_order(None) == "ORDER BY id ASC"
    assert with_default_order("") == "ORDER BY id ASC"
    assert with_default_order(Oql.eq("a", 1)) == "a = 1 ORDER BY id ASC"
    assert with_default_order("a = 1 order by name desc") == "a = 1 order by name desc"
    # An ORDER BY inside a string literal is data, not a clause.
    assert with_default_order("name = 'ORDER BY x'") == "name = 'ORDER BY x' ORDER BY id ASC"
    assert not has_order_by("name = 'x'' ORDER BY y'")


def test_format_duration_negative():
    assert format_duration(dt.timedelta(seconds=-5)) == "-PT5S"


def test_oql_is_immutable_value():
    base = Oql.eq("a", 1)
    base.order_by("id")
    assert str(base) == "a = 1"
    assert Oql.eq("a", 1) == base and hash(Oql.eq("a", 1)) == hash(base)
