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
    parser.add_argument(
        "--debug",
        action="store_true",
        help="on an error, print the full traceback (default: one line naming the error)",
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
    except Exception as exc:
        if args.debug:
            raise
        print(f"resync {args.command}: error: {error_line(exc)} (--debug for the traceback)", file=sys.stderr)
        return 1
    return int(result or 0)


def error_line(exc: BaseException) -> str:
    """One line naming an error: its message (its first line), else its type, and its root cause
    when that says more (e.g. the file a missing-file error names)."""
    text = " ".join(str(exc).split())
    line = text or type(exc).__name__
    cause = exc.__cause__ or (exc.__context__ if not exc.__suppress_context__ else None)
    if cause is not None and str(cause) and str(cause) not in line:
        line += f" ({type(cause).__name__}: {' '.join(str(cause).split())})"
    if isinstance(exc, (OSError, LookupError)) and type(exc).__name__ not in line:
        line = f"{type(exc).__name__}: {line}"
    return line[:1000]


if __name__ == "__main__":
    sys.exit(main())
