"""OQL parser and evaluator: grammar, semantics and errors."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from resync_assets.sim.oql import OqlError, parse, parse_duration
from resync_assets.sim.views import field_checker

JOBS = [
    {
        "id": "a",
        "name": "O'BRIEN_LOAD",
        "folder": "/FIN/",
        "priority": 10,
        "jobStreamName": "GL_CLOSE",
        "jobOptions": {"critical": True},
        "schedTime": "2025-03-14T22:30:00.000Z",
        "jobruns": [
            {
                "compositeStatus": {"status": "ABEND"},
                "returnCode": 19,
                "timeInfo": {"elapsedTime": "PT3H", "actualStartTime": "2025-03-14T22:41:07.000Z"},
            },
            {
                "compositeStatus": {"status": "SUCC"},
                "returnCode": 0,
                "timeInfo": {"elapsedTime": "PT10M", "actualStartTime": "2025-03-15T01:00:00.000Z"},
            },
        ],
    },
    {
        "id": "b",
        "name": "EMP_SYNC",
        "folder": "/HR/",
        "priority": 20,
        "jobStreamName": "HR_SYNC",
        "jobOptions": {"critical": False},
        "schedTime": "2025-03-14T06:00:00.000Z",
        "jobruns": [
            {
                "compositeStatus": {"status": "SUCC"},
                "returnCode": 0,
                "timeInfo": {"elapsedTime": "PT1H", "actualStartTime": "2025-03-14T06:00:03.000Z"},
            }
        ],
    },
    {
        "id": "c",
        "name": "PURGE_TMP",
        "folder": "/OPS/",
        "priority": 10,
        "jobStreamName": "HOUSEKEEPING",
        "jobOptions": {"critical": False},
        "schedTime": "2025-03-14T02:00:00.000Z",
        "jobruns": [],
    },
]


def ids(query: str, **kwargs) -> list[str]:
    q = parse(query, **kwargs)
    return [o["id"] for o in q.sort([o for o in JOBS if q.matches(o)])]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["a", "b", "c"]),
        ("name = 'EMP_SYNC'", ["b"]),
        ("name != 'EMP_SYNC'", ["a", "c"]),
        ("name = 'O''BRIEN_LOAD'", ["a"]),  # doubled quote = one quote
        ("priority >= 20", ["b"]),
        ("priority < 20", ["a", "c"]),
        ("folder IN ['/FIN/', '/OPS/']", ["a", "c"]),
        ("folder LIKE '/F@'", ["a"]),
        ("name LIKE '@SYNC'", ["b"]),
        ("name LIKE '@_@'", ["a", "b", "c"]),
        ("name LIKE 'EMP'", []),
        ("jobOptions.critical = true", ["a"]),
        ("jobOptions.critical = false", ["b", "c"]),
        ("jobruns.compositeStatus.status = 'ABEND'", ["a"]),
        ("jobruns.compositeStatus.status IN ['ABEND', 'FAIL']", ["a"]),
        ("jobruns.returnCode > 0", ["a"]),
        ("jobruns.timeInfo.elapsedTime > PT2H", ["a"]),
        ("jobruns.timeInfo.elapsedTime <= PT1H", ["a", "b"]),
        ("jobruns.timeInfo.actualStartTime >= 2025-03-14T22:00:00.000", ["a"]),
        ("jobruns.timeInfo.actualStartTime < 2025-03-14T07:00:00Z", ["b"]),
        ("jobruns.compositeStatus.status = null", ["c"]),
        ("jobruns.compositeStatus.status != null", ["a", "b"]),
        ("priority = 10 OR priority = 20 AND folder = '/OPS/'", ["a", "c"]),  # AND binds tighter
        ("(priority = 10 OR priority = 20) AND folder = '/OPS/'", ["c"]),
        ("name = 'EMP_SYNC' or folder = '/OPS/'", ["b", "c"]),  # keywords are case-insensitive
        ("ORDER BY name ASC", ["b", "a", "c"]),
        ("ORDER BY name DESC", ["c", "a", "b"]),
        ("priority = 10 ORDER BY schedTime DESC", ["a", "c"]),
        ("ORDER BY priority ASC, name DESC", ["c", "a", "b"]),
        ("ORDER BY jobruns.returnCode DESC", ["a", "b", "c"]),  # first value of the array; nulls last
    ],
)
def test_query_selects_and_orders(query, expected):
    assert ids(query) == expected


def test_instant_without_zone_uses_the_local_timezone():
    plus_one = timezone(timedelta(hours=1))
    assert ids("jobruns.timeInfo.actualStartTime < 2025-03-14T07:30:00", zone=plus_one) == ["b"]
    assert ids("jobruns.timeInfo.actualStartTime < 2025-03-14T06:30:00", zone=plus_one) == []


@pytest.mark.parametrize(
    "bad",
    [
        "name =",
        "name = 'unterminated",
        "(name = 'a'",
        "name = 'a')",
        "name ~ 'a'",
        "= 'a'",
        "AND name = 'a'",
        "name IN 'a'",
        "name IN ['a'",
        "name LIKE 5",
        "name = 'a' ORDER name",
        "name < true",
        "priority > null",
        "name = 'a' AND",
        "name = 'a' ORDER BY",
        "folder = /FIN/",
    ],
)
def test_invalid_queries_raise_with_position(bad):
    with pytest.raises(OqlError) as info:
        parse(bad)
    assert "position" in str(info.value)


def test_unknown_field_is_rejected_when_checked():
    check = field_checker("job")
    assert parse("jobruns.compositeStatus.status = 'SUCC'", field_check=check)
    assert parse("jobstreamName = 'X' AND key.name = 'Y'", field_check=check).fields == (
        "jobStreamName",
        "name",
    )
    with pytest.raises(OqlError, match="unknown field 'nmae'"):
        parse("nmae = 'X'", field_check=check)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT17M37S", 1057),
        ("P1D", 86400),
        ("PT4H20S", 14420),
        ("PT0S", 0),
        ("P1DT1H", 90000),
        ("PT1.5S", 1.5),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["P", "PT", "1H", "PTH", "P1H"])
def test_parse_duration_rejects_non_durations(text):
    assert parse_duration(text) is None
