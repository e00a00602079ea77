"""The `resync` console script starts and documents every subcommand."""

import subprocess
import sys

from resync_assets.cli import build_parser


def test_top_level_help_lists_subcommands():
    out = subprocess.run(
        [sys.executable, "-m", "resync_assets.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "usage: resync" in out


def test_every_subcommand_has_help():
    parser = build_parser()
    subactions = [a for a in parser._actions if a.dest == "command"]
    assert subactions, "no subcommands registered"
    for name, sub in subactions[0].choices.items():
        assert sub.format_help().startswith("usage: resync"), name
