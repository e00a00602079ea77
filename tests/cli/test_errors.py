"""Issue #15 item 7: CLI errors are one clear line (--debug for the traceback); the simulator takes
its credentials from the environment or a file, not only from arguments that `ps` shows."""

from __future__ import annotations

import argparse

import pytest

from resync_assets.cli import main
from resync_assets.cli.sim import DEMO_PASSWORD, credentials


def test_an_error_is_one_line_naming_it(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("RESYNC_TWS_BASE_URL", "https://tws.example")
    monkeypatch.setenv("RESYNC_TWS_TOKEN", "t")
    monkeypatch.setenv("RESYNC_TWS_CA_BUNDLE", str(tmp_path / "missing-ca.pem"))
    monkeypatch.setenv("RESYNC_WAREHOUSE_PATH", str(tmp_path / "w.duckdb"))
    assert main(["ingest", "run"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "missing-ca.pem" in err and "RESYNC_TWS_CA_BUNDLE" in err and "--debug" in err


def test_debug_shows_the_traceback(monkeypatch, tmp_path):
    monkeypatch.delenv("RESYNC_TWS_BASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    with pytest.raises(ValueError, match="RESYNC_TWS_BASE_URL"):
        main(["--debug", "ingest", "run"])


def _args(**kw) -> argparse.Namespace:
    return argparse.Namespace(
        **{"user": None, "password": None, "token": None, "credentials_file": None, **kw}
    )


def test_simulator_credentials_from_environment_file_or_arguments(tmp_path):
    assert credentials(_args(), {}) == ("resync", DEMO_PASSWORD, "resync-token")
    env = {"RESYNC_SIM_USER": "u", "RESYNC_SIM_PASSWORD": "from-env", "RESYNC_SIM_TOKEN": "tok"}
    assert credentials(_args(), env) == ("u", "from-env", "tok")
    secret = tmp_path / "sim.credentials"
    secret.write_text("# local\npassword=from-file\n")
    assert credentials(_args(credentials_file=str(secret)), env) == ("u", "from-file", "tok")
    assert credentials(_args(credentials_file=str(secret), password="arg"), env)[1] == "arg"
    secret.write_text("pasword=typo\n")
    with pytest.raises(ValueError, match="sim.credentials:1"):
        credentials(_args(credentials_file=str(secret)), env)


def test_make_dev_keeps_the_password_out_of_the_command_line():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    dev = makefile.split("\ndev:", 1)[1].split("\n\n", 1)[0]
    assert "--password" not in dev and "RESYNC_SIM_PASSWORD=" in dev
