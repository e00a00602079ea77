"""Querying as documented, right after set-up: every `resync sql` example of docs/querying.md runs on a
demo warehouse, read-only; `make notebooks`' command runs every notebook on it."""

import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from resync_assets.cli import main as resync

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "querying.md"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from resync_assets.cli import demo_run

    root = tmp_path_factory.mktemp("demo")
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(root / "home")
    try:
        assert demo_run.main(days=7, jobs=40, seed=3, end_date=dt.date(2026, 11, 30), root=root) == 0
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous
    return root / "data" / "warehouse.duckdb"


def _documented_commands() -> list[list[str]]:
    commands = []
    for line in DOC.read_text().splitlines():
        if re.match(r"^\.venv/bin/resync sql ", line.strip()):
            commands.append(shlex.split(line.strip())[1:])
    return commands


def test_docs_list_sql_examples():
    assert len(_documented_commands()) >= 5


def test_every_documented_query_runs_and_prints_rows(warehouse, capsys):
    for argv in _documented_commands():
        assert resync([*argv, "--warehouse", str(warehouse)]) == 0, argv
        out = capsys.readouterr().out
        assert "resync sql:" not in out, (argv, out)
        assert len(out.strip().splitlines()) >= 2, (argv, out)


def test_sql_prints_the_values_and_formats(warehouse, capsys):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (runs,) = con.execute("select count(*) from tws_raw.job_runs").fetchone()
    query = "select count(*) as n from tws_raw.job_runs"
    assert resync(["sql", query, "--warehouse", str(warehouse)]) == 0
    assert str(runs) in capsys.readouterr().out
    assert resync(["sql", query, "--warehouse", str(warehouse), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", str(runs)]
    assert resync(["sql", query, "--warehouse", str(warehouse), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"n": runs}


def test_sql_is_read_only_and_errors_are_one_clear_line(warehouse, tmp_path, capsys):
    before = warehouse.stat().st_mtime_ns
    assert resync(["sql", "delete from tws_raw.job_runs", "--warehouse", str(warehouse)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("resync sql: ") and "read-only" in out and len(out.strip().splitlines()) == 1
    assert warehouse.stat().st_mtime_ns == before
    assert resync(["sql", "select * from nowhere", "--warehouse", str(warehouse)]) == 1
    assert "nowhere" in capsys.readouterr().out
    missing = tmp_path / "none.duckdb"
    assert resync(["sql", "select 1", "--warehouse", str(missing)]) == 1
    assert "no warehouse" in capsys.readouterr().out and not missing.exists()


def test_make_notebooks_command_runs_every_notebook(warehouse):
    recipe = subprocess.run(
        ["make", "-n", "--always-make", "--no-print-directory", "notebooks"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[-1]
    assert recipe.startswith(".venv/bin/jupyter execute notebooks/")
    notebooks = sorted(str(p.relative_to(REPO)) for p in (REPO / "notebooks").glob("*.ipynb"))
    assert notebooks
    done = subprocess.run(
        [str(BIN / "jupyter"), "execute", *notebooks],
        cwd=REPO,
        env={**os.environ, "RESYNC_WAREHOUSE_PATH": str(warehouse)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
