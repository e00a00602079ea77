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


# Input is read, decoded and mined this many bytes at a time; only int labels are kept per line.
_BLOCK = 1 << 18


def _text_blocks(stream, block: int = _BLOCK):
    """Decoded UTF-8 text of `stream` in blocks that end at a line end (invalid bytes replaced)."""
    rest = b""
    while True:
        data = stream.read(block)
        if not data:
            break
        data = rest + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data
            continue
        rest = data[cut:]
        yield data[:cut].decode("utf-8", errors="replace")
    if rest:
        yield rest.decode("utf-8", errors="replace") + "\n"


def _run_templates(args: argparse.Namespace) -> int:
    from array import array

    from resync_assets.lib.patterns.miner import TemplateMiner

    miner = TemplateMiner()
    labels = array("I")
    for text in _text_blocks(sys.stdin.buffer):
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        labels.extend(miner.add_text(text))
    if args.ids:
        rendered = {cid: str(cid) for cid in miner.clusters}
    else:
        rendered = {cid: c.template for cid, c in miner.clusters.items()}
    write = sys.stdout.write
    step = 16_384
    for start in range(0, len(labels), step):
        write("\n".join(map(rendered.__getitem__, labels[start : start + step])) + "\n")
    sys.stdout.flush()
    return 0
