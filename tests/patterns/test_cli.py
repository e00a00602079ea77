"""`resync patterns templates` over a real subprocess."""

import subprocess
import sys

import pytest

from resync_assets.cli import build_parser


def _run(payload: bytes, *args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "resync_assets.cli", "patterns", "templates", *args],
        input=payload,
        capture_output=True,
        check=True,
    )
    text = proc.stdout.decode("utf-8")
    assert text == "" or text.endswith("\n")
    return text.split("\n")[:-1]


def test_one_template_per_input_line_in_order():
    lines = [
        'ORA-01555: snapshot too old: rollback segment number 9 with name "_SYSSMU9_1$" too small',
        "find: '/data/tmp/archive': Permission denied",
        'ORA-01555: snapshot too old: rollback segment number 12 with name "_SYSSMU12_7$" too small',
        "find: '/data/tmp/spool': Permission denied",
    ]
    out = _run(("\n".join(lines) + "\n").encode())
    assert out == [
        'ORA-01555: snapshot too old: rollback segment number <*> with name "<*>" too small',
        "find: '<*>': Permission denied",
        'ORA-01555: snapshot too old: rollback segment number <*> with name "<*>" too small',
        "find: '<*>': Permission denied",
    ]


def test_lines_print_their_final_cluster_template():
    # The first line alone would be its own template; the second generalises the cluster.
    out = _run(b"job A ended rc 1 on host x\njob A ended rc 1 on host y\n")
    assert out[0] == out[1] == "job A ended rc <*> on host <*>"


def test_invalid_utf8_and_empty_lines_keep_the_line_count():
    payload = b"bad \xff\xfe bytes here\n\nplain line\n\n\xc3\x28 x\n"
    out = _run(payload)
    assert len(out) == 5
    assert out[1] == out[3] == ""
    assert out[2] == "plain line"


def test_missing_final_newline_and_crlf():
    out = _run(b"one 1\r\none 2")
    assert out == ["one <*>", "one <*>"]


def test_empty_input_prints_nothing():
    assert _run(b"") == []


def test_ids_option_prints_cluster_ids():
    assert _run(b"a 1\nb c d\na 2\n", "--ids") == ["1", "2", "1"]


@pytest.mark.parametrize("heavy", ["polars", "duckdb", "dagster", "pyarrow"])
def test_templates_path_imports_nothing_heavy(heavy):
    code = (
        "import sys, io\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(b'x 1\\n'))\n"
        "from resync_assets.cli import main\n"
        "main(['patterns', 'templates'])\n"
        f"assert {heavy!r} not in sys.modules, {heavy!r}\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_patterns_help_lists_templates():
    parser = build_parser()
    args = parser.parse_args(["patterns", "templates"])
    assert callable(args.func)


def test_text_blocks_end_at_line_ends():
    import io

    from resync_assets.cli.patterns import _text_blocks

    payload = "é 1\nline two 22\n\nü three\nlast without newline".encode()
    blocks = list(_text_blocks(io.BytesIO(payload), block=5))
    assert all(b.endswith("\n") for b in blocks)
    assert "".join(blocks) == payload.decode() + "\n"


def test_input_larger_than_a_block_gives_the_in_process_ids():
    from resync_assets.lib.patterns.miner import TemplateMiner

    # About 2.5 MB: the command reads it in several blocks, with lines cut at block ends.
    lines = [
        f"worker {i % 7} moved {i * 37} bytes to /data/{i % 3}/part-{i} in {i % 997} ms"
        for i in range(40_000)
    ]
    lines += [f"session {i} closed by peer 10.0.{i % 256}.{i % 200}" for i in range(5_000)]
    out = _run(("\n".join(lines) + "\n").encode(), "--ids")
    assert out == [str(i) for i in TemplateMiner().add_many(lines)]
    assert len(set(out)) == 2
