"""The miner's fast path (digit-normalised line keys, int labels) and its bounded memory.

The fast path must give exactly what :meth:`TemplateMiner.add` gives line by line, and what the
miner holds must grow with the templates, not with the lines.
"""

from __future__ import annotations

import random
import tracemalloc

from resync_assets.lib.patterns import masking
from resync_assets.lib.patterns.masking import digit_key, tokenize
from resync_assets.lib.patterns.miner import TemplateMiner, mine_templates

from .test_miner import JOBLOG_LINES


def _varied(n: int, seed: int = 1) -> list[str]:
    """Lines of a dozen shapes whose numbers, addresses and hex ids vary (also in length)."""
    rng = random.Random(seed)

    def num() -> int:
        return rng.randrange(10 ** rng.randrange(1, 7))

    shapes = [
        lambda: f"Receiving block blk_{rng.randrange(10**18)} src: /10.{num() % 256}.3.{num() % 256}:{num()}",
        lambda: f"job {rng.choice(['GL', 'AR', 'AP'])}_LOAD_{num()} ended rc {num() % 20} after {num()} ms",
        lambda: f"ORA-{rng.choice(['01555', '00060', '12541'])}: failure in session {num()}",
        lambda: f"CE sym {num()}, at 0x{rng.randrange(16**8):08x}, mask 0x{rng.randrange(256):02x}",
        lambda: f"resized {num()}x{num()} image in {num()}.{num()} s",
        lambda: f"step {num()}/{num()} spooling journal lines for ledger {num()}",
        lambda: f"session opened for user root by (uid={num()})",
        lambda: f"Got allocation {rng.randrange(16**12):x}-{num()} of {num()} MB",
    ]
    return [shapes[rng.randrange(len(shapes))]() for _ in range(n)]


def test_digit_key_masks_like_the_line():
    lines = _varied(3000) + JOBLOG_LINES + ["size 5x3 ok", "size 0x3 ok", "SQL0911N and ORA-01555 at 12"]
    for line in lines:
        assert tokenize(digit_key(line))[0::2] == tokenize(line)[0::2], line
    assert digit_key("ORA-01555 at 12:30 5x3 0x1f") == "ORA-01555 at 00:00 5x0 0x0f"


def test_fast_path_equals_line_by_line_add():
    lines = _varied(4000) + JOBLOG_LINES * 2 + ["size 5x3 ok", "size 0x3 ok", "size 7x9 ok", ""]
    one = TemplateMiner()
    expected = [one.add(line).template_id for line in lines]
    many = TemplateMiner()
    assert many.add_many(lines) == expected
    text = TemplateMiner()
    assert list(text.add_text("\n".join(lines) + "\n")) == expected
    assert {c: (x.template, x.size) for c, x in many.clusters.items()} == {
        c: (x.template, x.size) for c, x in one.clusters.items()
    }
    assert {c: x.template for c, x in text.clusters.items()} == {
        c: x.template for c, x in one.clusters.items()
    }


def test_error_codes_and_hex_keep_their_identity():
    lines = [
        "ORA-01555: failure in session 12",
        "ORA-00060: failure in session 13",
        "ORA-01555: failure in session 7",
        "size 5x3 ok",
        "size 0x3 ok",
    ]
    templates = mine_templates(lines)
    assert templates[0] == templates[2] == "ORA-01555: failure in session <*>"
    assert templates[1] == "ORA-00060: failure in session <*>"
    # `5x3` is an identifier and `0x3` a hex number: both variables of the same line shape.
    assert templates[3] == templates[4] == "size <*> ok"


def test_forgetting_caches_keeps_the_same_answers():
    lines = _varied(3000, seed=2)
    one = TemplateMiner()
    expected = [one.add(line).template_id for line in lines]
    small = TemplateMiner()
    small.line_keys_max = 50
    small.signatures_max = 20
    got = []
    for start in range(0, len(lines), 700):
        got.extend(small.add_text("\n".join(lines[start : start + 700])))
    assert got == expected
    size = small.state_size()
    assert size["signatures"] <= 20
    assert size["line_keys"] <= 2 * 50


def test_state_grows_with_templates_not_lines():
    miner = TemplateMiner()
    miner.add_many(_varied(5000, seed=3))
    after_5k = miner.state_size()
    miner.add_many(_varied(50_000, seed=4))
    after_55k = miner.state_size()
    assert after_55k["clusters"] == after_5k["clusters"] <= 12
    # Numbers of new values and lengths keep arriving, yet the keys seen are bounded by the shapes.
    assert after_5k["signatures"] <= after_55k["signatures"] <= 30
    assert after_55k["line_keys"] <= 2 * miner.line_keys_max  # digit keys and exact keys
    assert sum(c.size for c in miner.clusters.values()) == 55_000


def test_retained_memory_does_not_grow_with_lines(monkeypatch):
    # Bytes kept after 10k and after 100k further varied lines (the miner's line-key cache and the
    # tokeniser's chunk cache capped small so that they are full at both points): the same, where
    # keeping anything per line would add at least 100k objects.
    monkeypatch.setattr(masking, "_CHUNK_CACHE_MAX", 2000)
    masking._CHUNK_CACHE.clear()
    first = _varied(10_000, seed=5)
    more = _varied(100_000, seed=6)
    miner = TemplateMiner()
    miner.line_keys_max = 1000
    miner.add_many(_varied(2000, seed=7))  # warms the tokeniser's chunk cache (shared, bounded)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        miner.add_many(first)
        after_first = tracemalloc.get_traced_memory()[0] - base
        for start in range(0, len(more), 10_000):
            miner.add_many(more[start : start + 10_000])
        after_more = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert miner.state_size()["line_keys"] <= 2 * 1000
    assert after_more < after_first + 300_000
    assert after_more < 100_000 * 8  # under 8 bytes a line processed


def test_redrawn_loghub_lines_share_templates(redrawn):
    # On realistic input (numbers re-drawn), the line keys and signatures stay far below the lines.
    miner = TemplateMiner()
    labels = miner.add_text("\n".join(redrawn))
    assert len(labels) == len(redrawn)
    size = miner.state_size()
    assert size["clusters"] < 1000
    assert size["signatures"] < 1500
    assert size["line_keys"] < len(redrawn) // 2


def test_add_text_line_ends():
    miner = TemplateMiner()
    assert list(miner.add_text("")) == []
    assert list(miner.add_text("a 1\n")) == [1]
    assert list(miner.add_text("a 2\n\nb c")) == [1, 2, 3]
    assert miner.clusters[1].size == 2
