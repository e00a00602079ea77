"""The failure catalogue loads as typed entries that recognise their own fabricated lines."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from resync_assets.lib.catalogue import PLACEHOLDERS, FailureSignature, load_catalogue, match_line

# The reference list of TWS failure signatures (tests/fixtures/README.md names its source).
REFERENCE_SIGNATURES = (
    Path(__file__).resolve().parents[2] / "fixtures" / "tws_domain" / "failure_signatures.csv"
)

SAMPLE = {name: f"x{name}" for name in PLACEHOLDERS} | {
    "script": "/apps/fin/bin/close.sh",
    "file": "/data/fin/in/gl_20250314.dat",
    "host": "db01.example.net",
    "ip": "10.0.0.1",
    "port": 1521,
    "n": 42,
    "pid": 4242,
    "line": 17,
    "seg": 9,
    "ms": 30001,
    "remote_file": "/outbound/EOD_20250314.zip",
    "user": "batchfin",
    "var": "RUN_DATE",
    "cmd": "zstd",
    "class": "com.example.Main",
    "table": "FIN.GL",
    "constraint": "FIN.PK_GL",
    "lockfile": "/var/run/a.lock",
}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_entries_are_typed_and_unique(catalogue):
    assert len(catalogue) >= 55
    assert len(catalogue.by_id) == len(catalogue)
    assert set(catalogue.families) == {
        "oracle",
        "db2",
        "postgres",
        "java",
        "shell",
        "network",
        "transfer",
        "tws",
        "app",
    }
    for e in catalogue:
        assert isinstance(e, FailureSignature)
        assert e.templates and e.root_cause and e.fix_steps
        assert e.outcome in ("ABEND", "FAIL", "SUPPR", "HOLD", "API")
        assert e.specificity in (1, 2, 3)
        assert (e.typical_rc is None) == (
            e.outcome != "ABEND"
        ) or e.signature_id == "TWS_PLUGIN_BAD_CREDENTIALS"


def test_every_template_is_recognised_by_its_own_regex(catalogue):
    for e in catalogue:
        for variant in range(len(e.templates)):
            line = e.render(SAMPLE, variant)
            assert e.matches(line), (e.signature_id, line)


def test_most_specific_signature_wins(catalogue):
    for e in catalogue:
        for variant in range(len(e.templates)):
            best = catalogue.match_line(e.render(SAMPLE, variant))
            assert best.specificity >= e.specificity, (e.signature_id, best.signature_id)
    assert (
        match_line('AWSBDW005E Error "No such file or directory" occurred').signature_id
        == "TWS_AWSBDW005E_JCL_OPEN"
    )
    assert match_line("cp: cannot stat '/x': No such file or directory").signature_id == "SH_NO_SUCH_FILE"
    assert match_line("all good") is None


def test_covers_the_reference_signature_list(catalogue):
    with REFERENCE_SIGNATURES.open(newline="") as f:
        rows = list(csv.DictReader(f))
    ids = {r["signature_id"] for r in rows}
    assert ids <= set(catalogue.by_id)
    for r in rows:
        # The reference example lines are recognised by our regexes.
        assert catalogue.by_id[r["signature_id"]].matches(r["example_line"]) or re.search(
            r["regex"], r["example_line"]
        )


def test_transient_families_are_marked(catalogue):
    by_id = catalogue.by_id
    assert by_id["ORA_00060_DEADLOCK"].transient and by_id["NET_TIMEOUT"].transient
    assert not by_id["SH_COMMAND_NOT_FOUND"].transient and not by_id["SH_PERMISSION_DENIED"].transient
    assert by_id["TWS_AWSBHT001E_LAUNCH_FAILED"].outcome == "FAIL"
