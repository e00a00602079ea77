"""Pattern keys of error lines: the masked template text, stable without any miner state.

The template miner's ids (`lib/patterns`) are the product's pattern ids when a miner is available
(warehouse, Dagster); the pattern key is the same idea computed from one line alone, so an analysis
of a lone joblog file can still be compared with past incidents.
"""

from __future__ import annotations

import hashlib

from resync_assets.lib.patterns.masking import mask_line

_MAX = 400


def pattern_key(line: str) -> str:
    """The line with its variables masked (`<PATH>`, `<NUM>`, ...), capped in length."""
    return mask_line(line[: _MAX * 2])[:_MAX]


def pattern_hash(line: str) -> str:
    """A short stable hash of `pattern_key(line)` (12 hex digits)."""
    return hashlib.sha1(pattern_key(line).encode("utf-8")).hexdigest()[:12]


def tokens(line: str, limit: int = 40) -> frozenset[str]:
    """Literal lower-case word tokens of the masked line (masks dropped), for Jaccard similarity."""
    out = []
    for tok in pattern_key(line).replace("<", " <").replace(">", "> ").split():
        if tok.startswith("<") and tok.endswith(">"):
            continue
        tok = tok.strip(".,;:'\"()[]{}").lower()
        if len(tok) >= 2:
            out.append(tok)
        if len(out) >= limit:
            break
    return frozenset(out)
