"""A CI session that skips a test fails; the same session outside CI passes with the skip shown."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE = "import pytest\n\ndef test_runs():\n    pass\n\ndef test_skips():\n    pytest.skip('no data here')\n"


@pytest.mark.parametrize("ci,code", [("true", 1), ("", 0)], ids=["ci", "local"])
def test_a_skip_fails_the_session_only_in_ci(tmp_path, ci, code):
    (tmp_path / "test_sample.py").write_text(SOURCE)
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.ci_no_skips", "-p", "no:cacheprovider",
         "-p", "no:randomly", "--rootdir", str(tmp_path), str(tmp_path / "test_sample.py")],
        check=False, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert run.returncode == code, run.stdout + run.stderr
    assert "1 passed, 1 skipped" in run.stdout
    if ci:
        assert (
            "skipped in CI (not allowed)" in run.stdout and "test_skips: Skipped: no data here" in run.stdout
        )


def test_missing_data_fails_in_ci_and_skips_locally(monkeypatch):
    from tests.shared_data import missing

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        missing("Loghub data not found")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="Loghub data not found"):
        missing("Loghub data not found")


def test_the_shared_folder_is_found_relative_to_the_repo_or_by_one_setting(monkeypatch, tmp_path):
    from benchmarks.loghub_data import loghub_dir, shared_dir

    monkeypatch.delenv("RESYNC_SHARED_DIR", raising=False)
    monkeypatch.delenv("RESYNC_LOGHUB_DIR", raising=False)
    assert shared_dir() == REPO.parent / "shared"
    monkeypatch.setenv("RESYNC_SHARED_DIR", str(tmp_path))
    assert loghub_dir() == tmp_path / "benchmarks" / "loghub"
    monkeypatch.setenv("RESYNC_LOGHUB_DIR", str(tmp_path / "elsewhere"))
    assert loghub_dir() == tmp_path / "elsewhere"
