"""Pattern keys of error lines: the masked template text, stable without any miner state.

The template miner's ids (`lib/patterns`) are the product's pattern ids when a miner is available
(warehouse, Dagster); the pattern key is the same idea computed from one line alone, so an analysis
of a lone joblog file can still be compared with past incidents.
"""

from __future__ import annotations

import hashlib
import re

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


_MASK = re.compile(r"<[A-Z]+>")


def failure_mode(line: str) -> tuple[str, str]:
    """The failure mode an error line names: `(key, display)`.

    The key is the line's message (timestamp, level and logger prefix dropped, `message_of`) with
    its variables masked (`mask_line`) and the hosts and DB objects it names replaced by `<HOST>` /
    `<OBJ>`, so runs of one cause on other tables or hosts share it. The display shows each mask as
    `…`: `ORA-01653: unable to extend table … by … in tablespace …`.
    """
    from resync_assets.lib.rca.advice import message_of
    from resync_assets.lib.rca.entities import extract_db_objects, extract_hosts

    msg = message_of(line[: _MAX * 2])
    key = mask_line(msg)
    names = [(h, "<HOST>") for h in extract_hosts(msg)] + [(o, "<OBJ>") for o in extract_db_objects(msg)]
    for name, mask in sorted(names, key=lambda x: -len(x[0])):
        if len(name) >= 3:
            key = re.sub(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", mask, key)
    key = key[:_MAX]
    display = re.sub(r"(?:…\s*){2,}", "… ", _MASK.sub("…", key)).strip()
    return key, display
