"""Tokenisation with named masks for log lines.

One compiled regular expression scans a line left to right. At each token start it tries the named
masks first (timestamps, IPs, paths, numbers, ...), then a plain word, then a single punctuation
character, so a line is tokenised and masked in one pass instead of a cascade of substitutions.
Lines without a mask that can span whitespace (dates with month names, ISO dates) are tokenised
chunk by chunk with a cache of chunks, which gives the same tokens as the whole-line scan.

A token is either a literal (its own text) or a mask key such as ``<NUM>``. Mask keys cannot collide
with literal tokens because ``<`` and ``>`` always split words. Error codes that identify a failure
mode (``ORA-01555``, ``AWSBHT001E``, ``SQL0911N``, ``SP2-0157``) are deliberately kept literal.
"""

from __future__ import annotations

import re

# Characters that always end a word and form one-character tokens of their own. Splitting on them
# turns `uid=0` into `uid`, `=`, `<NUM>`, so the constant key and the variable value separate.
_SPLIT = r"""\s=:,;()\[\]{}<>"'|"""
# A mask only applies when it covers a whole token: it must be followed by a separator, the end,
# or a sentence-ending period.
_END = rf"(?=[{_SPLIT}]|$|\.(?:[\s]|$))"

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,9})?"
_ZONE = r"(?:\s?(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT|[A-Z]{1,3}[DS]?T)(?![\w]))?"

# Named masks, in priority order (earlier alternatives win at the same position).
MASK_PATTERNS: tuple[tuple[str, str], ...] = (
    ("URL", r"[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s\"'<>]+"),
    ("EMAIL", r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*" + _END),
    ("UUID", r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}" + _END),
    # Unix `date` style (`Fri Mar 14 23:41:07 CET 2025`) and syslog style (`Jul 24 02:38:22`).
    (
        "DATETIME",
        rf"(?:{_DAY},?\s+)?{_MONTH}\s+\d{{1,2}},?\s+(?:\d{{4}}\s+)?{_TIME}{_ZONE}(?:\s+\d{{4}})?{_END}",
    ),
    # ISO 8601 and friends: 2025-03-14, 2025-03-14T22:30:00.000Z, 2025-03-14 23:41:08,123.
    ("DATETIME", rf"\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}(?:[T\s_-]?{_TIME}{_ZONE})?{_END}"),
    ("DATE", r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}" + _END),
    ("DATE", rf"\d{{1,2}}[-/ ]{_MONTH}[-/ ]\d{{2,4}}{_END}"),
    ("IP", r"(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?" + _END),
    ("MAC", r"(?:[0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}" + _END),
    ("IP", r"(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}" + _END),
    ("TIME", _TIME + _END),
    ("VERSION", r"[vV]?\d+\.\d+\.\d+(?:[-_.][0-9A-Za-z]+)*" + _END),
    # Colon-separated hex groups with digits (PCI slots `0000:02:0e.0`, WWIDs).
    ("HEXID", r"(?=[0-9a-fA-F:.]*\d)[0-9a-fA-F]{1,8}(?:[:.][0-9a-fA-F]{1,8}){2,}" + _END),
    ("HOSTPORT", r"[A-Za-z0-9][\w-]*(?:\.[\w-]+)+:\d{1,5}" + _END),
    # `/10.1.2.3:50010`: the slash belongs to the text, the address is the variable.
    ("SLASH", r"/(?=(?:\d{1,3}\.){3}\d{1,3})"),
    ("PATH", r"(?:[A-Za-z]:)?(?:\.{1,2})?(?:[\\/][\w.@%+~$#-]+)+[\\/]?" + _END),
    ("PATH", r"[\w.-]+(?:/[\w.@%+~$#-]+){2,}/?" + _END),
    ("JOBNUM", r"#J\d+" + _END),
    ("HEX", r"0[xX][0-9a-fA-F]+" + _END),
    # A number with an attached size unit (`64MB`, `512k`); a detached unit stays a literal word.
    ("SIZE", r"\d+(?:\.\d+)?(?:[KMGTPE]i?B|[kKMGT]|B)" + _END),
    ("DURATION", r"\d+(?:\.\d+)?(?:ms|us|ns|s|sec|secs|min|h)" + _END),
    # Placeholders for a missing value (`****`, `--`, `???`, `n/a`).
    ("NA", r"(?:\*{2,}|-{2,}|\?{2,}|[nN]/[aA])" + _END),
    ("NUM", r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?" + _END),
    # Hex strings of 8+ characters that mix letters and digits (addresses, hashes, ids).
    ("HEX", r"(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}" + _END),
)

# DNS names: two or more dots and a final label that is a top-level domain (generic or a country
# code). Java packages (`org.apache.x.Y`) and file names (`run.sh`) do not qualify.
HOST_RE = re.compile(
    r"[(\[]?(?!(?:org|com|net|java|javax|sun|io)\.)(?:[A-Za-z0-9][A-Za-z0-9-]*\.){2,}"
    r"(?:com|net|org|edu|gov|mil|int|info|biz|local|lan|internal|corp|arpa|[a-z]{2})\.?[)\]]?"
)

# Product and database error codes: a failure mode, never a variable. Either PREFIX-digits
# (ORA-01555, TNS-12541, SP2-0157, SQL*Loader-500) or letters, digits and a severity letter
# (AWSBHT001E, SQL0911N).
CODE_RE = re.compile(r"(?:[A-Z][A-Z0-9]{1,7}-\d{3,6}|[A-Z]{2,}\*[A-Za-z]+-\d{3,6}|[A-Z]{3,}\d{3,5}[A-Z])")

MASK_NAMES: tuple[str, ...] = tuple(dict.fromkeys(name for name, _ in MASK_PATTERNS)) + (
    "ID",
    "HOST",
    "EMPTY",
)
MASK_NAMES = tuple(name for name in MASK_NAMES if name != "SLASH")


# Index of the last mask that can start with a letter-only word (the month-name date-time).
_PLAIN_AFTER = max(i for i, (name, pattern) in enumerate(MASK_PATTERNS) if pattern.startswith("(?:(?:Mon"))


def _build_scanner() -> tuple[re.Pattern[str], dict[int, str]]:
    # A standalone empty pair `()` is an empty value slot: `(`, <EMPTY>, `)` lines up with `(host)`.
    # No mask or word starts with a separator character, so those are settled first.
    parts = [r"(?P<ws>\s+)", r"(?P<empty>\(\)|\[\])", rf"(?P<sep>[{_SPLIT[2:]}])"]
    names: dict[int, str] = {}
    for index, (name, pattern) in enumerate(MASK_PATTERNS):
        group = f"m{index}"
        names[index] = name
        parts.append(f"(?P<{group}>{pattern})")
        if index == _PLAIN_AFTER:
            # Fast path: a word of letters only, ending at a separator, cannot be any later mask
            # (those need digits, dots, `@` or `/`); matching it here skips trying them all.
            parts.append(r"(?P<plain>[A-Za-z_][A-Za-z_-]*(?=[\s=,;)\]{}<>\"'|]|$))")
    # A bracket group without spaces attached to a word is part of it (`LOCAL(0)`, `data_thread()`,
    # `acpi_id[0x01]`): one token, so optional arguments do not change the token count.
    parts.append(rf"(?P<word>[^{_SPLIT}]+(?:[(\[][^\s()\[\]]*[)\]][^{_SPLIT}]*)*)")
    parts.append(r"(?P<punct>.)")
    return re.compile("|".join(parts), re.DOTALL), names


_SCANNER, _GROUP_NAMES = _build_scanner()
_GROUP_TO_KEY = {f"m{i}": f"<{name}>" for i, name in _GROUP_NAMES.items()}
for _group, _key in list(_GROUP_TO_KEY.items()):
    if _key == "<SLASH>":
        del _GROUP_TO_KEY[_group]
        _SLASH_GROUP = _group
_HAS_DIGIT = re.compile(r"\d")
_ID_KEY = "<ID>"
_EMPTY_KEY = "<EMPTY>"
_HOST_KEY = "<HOST>"


def is_mask(token: str) -> bool:
    """True when `token` is a mask key such as ``<NUM>`` rather than literal text."""
    return len(token) > 2 and token[0] == "<" and token[-1] == ">"


# Masks that may span whitespace all involve a month/day name or an ISO date; lines without one
# can be tokenised chunk by chunk (whitespace-separated), and chunks repeat a lot across lines.
_MULTI_CHUNK = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
)
# chunk -> (keys, raws, whether it may join the next chunk into one mask)
_CHUNK_CACHE: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {}
_CHUNK_CACHE_MAX = 20_000


def tokenize(line: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Split `line` into (keys, raw texts, separators).

    `keys[i]` is the literal token or its mask key (``<IP>``, ``<NUM>``, ``<ID>`` for other words that
    contain digits), `raws[i]` the original text, and `seps[i]` is ``" "`` when whitespace preceded the
    token, else ``""``. Joining ``seps[i] + raws[i]`` gives the line back with whitespace runs
    collapsed to one space and the ends stripped.
    """
    keys: list[str] = []
    raws: list[str] = []
    seps: list[str] = []
    cache = _CHUNK_CACHE
    chunks = line.split()
    last = len(chunks) - 1
    for index, chunk in enumerate(chunks):
        got = cache.get(chunk)
        if got is None:
            got = _scan_chunk(chunk)
            if len(cache) >= _CHUNK_CACHE_MAX:
                cache.clear()
            cache[chunk] = got
        chunk_keys, chunk_raws, may_join = got
        if may_join:
            return scan_line(line)
        start = 0
        if keys:
            first = chunk_keys[0]
            if first[0] == "<" and first != _EMPTY_KEY and keys[-1] == first:
                raws[-1] = raws[-1] + " " + chunk_raws[0]
                start = 1
            else:
                keys.append(first)
                raws.append(chunk_raws[0])
                seps.append(" ")
                start = 1
        if start < len(chunk_keys):
            keys.extend(chunk_keys[start:])
            raws.extend(chunk_raws[start:])
            seps.extend([""] * (len(chunk_keys) - start))
        if index == last and chunk == "=" and len(keys) > 1:
            keys.append(_EMPTY_KEY)
            raws.append("")
            seps.append("")
    return tuple(keys), tuple(raws), tuple(seps)


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_IDENT_MASKS = re.compile(
    "|".join(f"(?:{pattern})" for name, pattern in MASK_PATTERNS if name in ("UUID", "MAC", "HEX", "NA"))
)
_NUM_KEY = "<NUM>"


def _scan_chunk(chunk: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """Tokens of one whitespace-free chunk and whether it may join the next chunk into one mask."""
    if chunk.isascii() and chunk.isdigit():
        return (_NUM_KEY,), (chunk,), False
    if _IDENT.fullmatch(chunk) and not _IDENT_MASKS.fullmatch(chunk):
        # Identifier-like (`blk_-633`, `node-246`, `eth1`): only these masks could match it.
        return (_single_key("word", chunk),), (chunk,), _MULTI_CHUNK.search(chunk) is not None
    single = _SCANNER.match(chunk)
    if single is not None and single.end() == len(chunk) and single.lastgroup != "empty":
        # One-token chunk (most new chunks: numbers, addresses, paths).
        return (_single_key(single.lastgroup, chunk),), (chunk,), _MULTI_CHUNK.search(chunk) is not None
    keys, raws, _ = scan_line(chunk)
    return keys, raws, _MULTI_CHUNK.search(chunk) is not None


def _single_key(kind: str | None, text: str) -> str:
    """Key of a token that is a whole chunk (same rules as :func:`scan_line`)."""
    if kind == "word":
        if _HAS_DIGIT.search(text) and not CODE_RE.fullmatch(text):
            return _ID_KEY
        if "." in text and HOST_RE.fullmatch(text):
            return _HOST_KEY
        return text
    if kind == "plain" or kind == "punct" or kind == "sep":
        return text
    if kind == _SLASH_GROUP:
        return "/"
    return _GROUP_TO_KEY[kind]  # type: ignore[index]


def scan_line(line: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """:func:`tokenize` by one regular-expression scan of the whole line (the reference path)."""
    keys: list[str] = []
    raws: list[str] = []
    seps: list[str] = []
    sep = ""
    group_to_key = _GROUP_TO_KEY
    stripped_len = len(line.rstrip())
    for match in _SCANNER.finditer(line):
        kind = match.lastgroup
        text = match.group()
        if kind == "ws":
            sep = " " if keys else ""
            continue
        if kind == "plain":
            key = text
        elif kind == "word":
            if _HAS_DIGIT.search(text) and not CODE_RE.fullmatch(text):
                key = _ID_KEY
            elif "." in text and HOST_RE.fullmatch(text):
                key = _HOST_KEY
            else:
                key = text
        elif kind == "punct" or kind == "sep":
            key = text
            # `ruser= rhost=x`: an empty value is still a value slot, so lines with and without a
            # value keep the same token count.
            end = match.end()
            at_end = end >= stripped_len
            if text == "=" and keys and (not sep or at_end) and (at_end or line[end].isspace()):
                keys.append(key)
                raws.append(text)
                seps.append(sep)
                key, text, sep = _EMPTY_KEY, "", ""
        elif kind == "empty":
            keys.extend((text[0], _EMPTY_KEY))
            raws.extend((text[0], ""))
            seps.extend((sep, ""))
            key, text, sep = text[1], text[1], ""
        elif kind == _SLASH_GROUP:
            key = "/"
        else:
            key = group_to_key[kind]
        if sep and keys and key[0] == "<" and key != _EMPTY_KEY:
            last = keys[-1]
            if last == key:
                # A space-separated run of one kind of variable is a list of unknown length
                # (`to delete blk_1 blk_2 ...`): one token, so the list length does not matter.
                raws[-1] = raws[-1] + sep + text
                sep = ""
                continue
        keys.append(key)
        raws.append(text)
        seps.append(sep)
        sep = ""
    return tuple(keys), tuple(raws), tuple(seps)


def mask_line(line: str) -> str:
    """Return `line` with every variable replaced by its named mask (``<NUM>``, ``<PATH>``, ...)."""
    keys, _, seps = tokenize(line)
    return "".join(s + k for s, k in zip(seps, keys))


# Every ASCII digit to `0` (same length, so positions in a text do not move): `text.translate(
# DIGITS_TO_ZERO)` is a key that masks like `text` unless it holds an error code (a literal with
# digits) or a `0x` that was `5x`; :func:`digit_key` is the exact key for such lines.
DIGITS_TO_ZERO = str.maketrans("123456789", "000000000")
# What must keep its digits: error codes (literal tokens) and a digit before `x`/`X` (`5x3` would
# become `0x0`, which masks as hex).
_KEEP_DIGITS = re.compile(rf"{CODE_RE.pattern}|[1-9](?=[xX])")


def digit_key(text: str) -> str:
    """`text` with its ASCII digits turned into ``0``, except inside error codes and before an ``x``.

    Masks look at where digits are, never at their values, so ``tokenize(digit_key(line))`` has the
    same keys and separators as ``tokenize(line)``: lines that differ only in their numbers share
    one key. (A regular-expression scan: slower per character than the bare translation.)
    """
    key = text.translate(DIGITS_TO_ZERO)
    if _KEEP_DIGITS.search(text) is None:
        return key
    parts = []
    last = 0
    for match in _KEEP_DIGITS.finditer(text):
        start, end = match.span()
        parts.append(key[last:start])
        parts.append(match.group())
        last = end
    parts.append(key[last:])
    return "".join(parts)


def digit_sensitive(key: str, keys: tuple[str, ...]) -> bool:
    """True when the digit values of lines with translated key `key` (tokens `keys`) matter.

    That is when a literal token has digits (an error code) or the key has a ``0x`` (which may have
    been ``5x``); such lines need their exact :func:`digit_key`.
    """
    if "0x" in key or "0X" in key:
        return True
    return any("0" in k and not (k[0] == "<" and k[-1] == ">" and len(k) > 2) for k in keys)
