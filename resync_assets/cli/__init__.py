"""The `resync` command line.

Each domain registers its subcommands from a light module in this package. A module's `register`
only builds argparse parsers; the handler it sets imports heavy libraries (dagster, polars, ...) when
it runs, so `resync --help` and `resync patterns templates` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand modules, in the order `resync --help` lists them.
_COMMAND_MODULES = (
    "demo",
    "sim",
    "ingest",
    "metrics",
    "patterns",
    "analyze",
    "forecast",
    "incidents",
    "report",
    "status",
    "sql",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the full `resync` parser from every registered subcommand module."""
    parser = argparse.ArgumentParser(
        prog="resync",
        description="Workload analytics for IBM / HCL Workload Automation (TWS).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `resync` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # A consumer such as `head` closed the pipe: not an error of ours.
        sys.stderr.close()
        return 0
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
