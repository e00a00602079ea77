"""`resync patterns ...`: log template mining commands."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `patterns` command group to the `resync` parser."""
    parser = subparsers.add_parser(
        "patterns",
        help="Log template mining (joblog patterns).",
        description="Log template mining for joblog lines.",
    )
    sub = parser.add_subparsers(dest="patterns_command", metavar="SUBCOMMAND")
    sub.required = True
    templates = sub.add_parser(
        "templates",
        help="Read messages on stdin, print one template per line.",
        description=(
            "Read log messages on stdin (UTF-8, one per line; invalid bytes are replaced) and print "
            "exactly one template per input line, in input order, after all input is read. Lines of "
            "one cluster print the same final template, variables as <*>."
        ),
    )
    templates.add_argument(
        "--ids", action="store_true", help="print the numeric template id instead of the template"
    )
    templates.set_defaults(func=_run_templates)


def _run_templates(args: argparse.Namespace) -> int:
    from resync_assets.lib.patterns.miner import TemplateMiner

    data = sys.stdin.buffer.read()
    text = data.decode("utf-8", errors="replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    miner = TemplateMiner()
    ids = miner.add_many(lines)
    if args.ids:
        out = [str(i) for i in ids]
    else:
        rendered = {cid: c.template for cid, c in miner.clusters.items()}
        out = list(map(rendered.__getitem__, ids))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))
    sys.stdout.flush()
    return 0
