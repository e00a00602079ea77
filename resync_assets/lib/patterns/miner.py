"""Online template miner: a Drain-style fixed-depth prefix tree over masked tokens.

Lines are tokenised with named masks (:mod:`.masking`). The tree routes a line by its token count
and its first literal tokens to a small list of clusters; the line joins the most similar cluster
when enough of the cluster's *literal* tokens agree, otherwise it starts a new cluster. Similarity
ignores mask positions (both named masks and positions already generalised to ``<*>``), which is
what keeps heavily masked lines from splitting into thousands of clusters.

An identical masked token sequence always goes back to the cluster it first joined (a "signature"
map); that is what makes template ids stable. The whole state (clusters, their tree keys,
signatures, id counter) is saved to and loaded from DuckDB, and a loaded miner continues exactly as
one that never stopped.

Speed without keeping lines: masking depends only on where digits are, never on their values, so a
line with its digits turned into ``0`` (one C-level ``str.translate`` over whole blocks of text)
masks exactly like the line itself. A bounded map from that key to the cluster id answers most lines
with one dict lookup -- also lines whose numbers were never seen before -- and only the rest are
tokenised (the key, so the tokeniser's chunk cache hits too). Keys whose digits matter (an error
code such as ``ORA-01555`` is a literal; a ``0x`` may have been ``5x``) are marked so, and their lines
take the exact key of :func:`~.masking.digit_key` instead. Per line the miner keeps nothing; callers
that need each line's final template keep an int label per line (:meth:`TemplateMiner.add_text`
returns them).
"""

from __future__ import annotations

from array import array
from collections import Counter

TYPE_CHECKING = False

from resync_assets.lib.patterns.masking import DIGITS_TO_ZERO, digit_key, digit_sensitive, is_mask, tokenize

if TYPE_CHECKING:  # pragma: no cover
    import datetime as _dt
    from collections.abc import Iterable
    from typing import Any

    import duckdb

WILDCARD = "<*>"
# An empty value slot (`ruser=`, `()`): prints as nothing until a line fills it.
EMPTY = "<EMPTY>"
# Bounds of the lookup maps (entries); past them a map is emptied and refills from the lines that
# follow, so memory stays bounded whatever the input.
LINE_KEYS_MAX = 20_000
SIGNATURES_MAX = 200_000


class MinerConfig:
    """Parameters of the miner; one configuration serves every log source.

    `similarity` is the share of a cluster's literal tokens a line must repeat to join it;
    `prefix_depth` how many leading tokens route a line in the tree; `max_children` caps a tree
    node's fan-out (further tokens share a ``<*>`` branch).
    """

    __slots__ = ("max_children", "prefix_depth", "similarity")

    def __init__(self, similarity: float = 0.8, prefix_depth: int = 2, max_children: int = 64) -> None:
        self.similarity = similarity
        self.prefix_depth = prefix_depth
        self.max_children = max_children

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MinerConfig) and self.as_dict() == other.as_dict()

    def __repr__(self) -> str:
        return f"MinerConfig({self.as_dict()!r})"

    def as_dict(self) -> dict[str, float | int]:
        """The parameters as a plain dict."""
        return {name: getattr(self, name) for name in self.__slots__}


class Cluster:
    """One template: its tokens (literals, mask keys or ``<*>``) and bookkeeping."""

    __slots__ = (
        "_rendered",
        "example",
        "first_seen",
        "last_seen",
        "seps",
        "size",
        "template_id",
        "tokens",
        "tree_key",
    )

    def __init__(
        self,
        template_id: int,
        tokens: list[str],
        seps: tuple[str, ...],
        tree_key: tuple[str, ...],
        size: int = 0,
        first_seen: _dt.datetime | None = None,
        last_seen: _dt.datetime | None = None,
        example: str = "",
    ) -> None:
        self.template_id = template_id
        self.tokens = tokens
        self.seps = seps
        self.tree_key = tree_key
        self.size = size
        self.first_seen = first_seen
        self.last_seen = last_seen
        self.example = example
        self._rendered: str | None = None

    @property
    def template(self) -> str:
        """The template as text, every variable position printed as ``<*>``."""
        if self._rendered is None:
            self._rendered = "".join(
                sep + (("" if tok == EMPTY else WILDCARD) if is_mask(tok) else tok)
                for sep, tok in zip(self.seps, self.tokens)
            )
        return self._rendered

    @property
    def masked_template(self) -> str:
        """The template with named masks kept (``<NUM>``, ``<PATH>``; ``<*>`` where they differ)."""
        return "".join(sep + tok for sep, tok in zip(self.seps, self.tokens))


class MatchResult:
    """Outcome of :meth:`TemplateMiner.add` or :meth:`TemplateMiner.match`.

    `params` are the line's texts at the template's variable positions, in order.
    """

    __slots__ = ("is_new", "params", "template", "template_id")

    def __init__(
        self, template_id: int | None, template: str | None, is_new: bool, params: tuple[str, ...]
    ) -> None:
        self.template_id = template_id
        self.template = template
        self.is_new = is_new
        self.params = params

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MatchResult) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__
        )

    def __repr__(self) -> str:
        return (
            f"MatchResult(template_id={self.template_id!r}, template={self.template!r}, "
            f"is_new={self.is_new!r}, params={self.params!r})"
        )


def _similarity(template: list[str], keys: tuple[str, ...]) -> float:
    """Share of the compared positions that agree, comparing literal tokens only."""
    compared = 0
    equal = 0
    for t, k in zip(template, keys):
        if t == WILDCARD:
            continue
        if t[0] == "<" and len(t) > 2 and t[-1] == ">":
            # Two variables of different kinds (a NUM where a HEX was) are still variables.
            if k[0] != "<" or len(k) < 3 or k[-1] != ">":
                compared += 1
            continue
        compared += 1
        if t == k:
            equal += 1
    if compared == 0:
        return 1.0
    return equal / compared


class TemplateMiner:
    """Streaming template miner with named masks, stable ids and DuckDB persistence."""

    def __init__(self, config: MinerConfig | None = None) -> None:
        self.config = config or MinerConfig()
        self.clusters: dict[int, Cluster] = {}
        self._next_id = 1
        # Tree: node key (tuple prefix) -> set of child tokens; leaf key -> cluster ids.
        self._children: dict[tuple[str, ...], set[str]] = {}
        self._leaves: dict[tuple[str, ...], list[int]] = {}
        self._signatures: dict[tuple[str, ...], int] = {}
        # Digit-normalised line -> cluster id, or 0 when the digits matter (see the module
        # docstring); exact digit key -> cluster id for those. Caches of the signature lookup.
        self._line_keys: dict[str, int] = {}
        self._exact_keys: dict[str, int] = {}
        self.line_keys_max = LINE_KEYS_MAX
        self.signatures_max = SIGNATURES_MAX
        self._forgets = 0

    def state_size(self) -> dict[str, int]:
        """Entries held by the miner: clusters, signatures, cached line keys and tree nodes."""
        return {
            "clusters": len(self.clusters),
            "signatures": len(self._signatures),
            "line_keys": len(self._line_keys) + len(self._exact_keys),
            "tree_nodes": len(self._children) + len(self._leaves),
        }

    # ------------------------------------------------------------------ tree
    def _route(self, keys: tuple[str, ...], create: bool) -> tuple[str, ...]:
        """Leaf key for `keys`: token count, then the first tokens (digits/masks go to ``<*>``)."""
        node: tuple[str, ...] = (str(len(keys)),)
        for depth in range(min(self.config.prefix_depth, len(keys))):
            tok = keys[depth]
            if is_mask(tok):
                tok = WILDCARD
            children = self._children.get(node)
            if children is None:
                if not create:
                    return node + (tok,)
                children = self._children[node] = set()
            if tok not in children:
                if len(children) >= self.config.max_children:
                    tok = WILDCARD
                if create:
                    children.add(tok)
            node = node + (tok,)
        return node

    def _register_leaf(self, tree_key: tuple[str, ...]) -> None:
        for depth in range(1, len(tree_key)):
            self._children.setdefault(tree_key[:depth], set()).add(tree_key[depth])

    def _best(self, leaf: tuple[str, ...], keys: tuple[str, ...]) -> Cluster | None:
        best: Cluster | None = None
        best_sim = -1.0
        for cid in self._leaves.get(leaf, ()):
            cluster = self.clusters[cid]
            sim = _similarity(cluster.tokens, keys)
            if sim > best_sim:
                best, best_sim = cluster, sim
        if best is not None and best_sim >= self.config.similarity:
            return best
        return None

    # ------------------------------------------------------------------ public API
    def _learn(self, line: str, keys: tuple[str, ...], seps: tuple[str, ...]) -> tuple[Cluster, bool]:
        """Cluster for the masked tokens `keys`, creating or generalising one as needed."""
        cid = self._signatures.get(keys)
        if cid is not None:
            return self.clusters[cid], False
        if len(self._signatures) >= self.signatures_max:
            # Forgetting signatures can change later answers, so the line-key cache (which
            # short-cuts them) must be forgotten with them.
            self._signatures.clear()
            self._line_keys.clear()
            self._exact_keys.clear()
            self._forgets += 1
        is_new = False
        leaf = self._route(keys, create=False)
        cluster = self._best(leaf, keys)
        if cluster is None:
            leaf = self._route(keys, create=True)
            cluster = Cluster(self._next_id, list(keys), seps, leaf, example=line)
            self._next_id += 1
            self.clusters[cluster.template_id] = cluster
            self._leaves.setdefault(leaf, []).append(cluster.template_id)
            is_new = True
        else:
            self._generalise(cluster, keys)
        self._signatures[keys] = cluster.template_id
        return cluster, is_new

    @staticmethod
    def _seen(cluster: Cluster, ts: _dt.datetime | None) -> None:
        if ts is not None:
            if cluster.first_seen is None or ts < cluster.first_seen:
                cluster.first_seen = ts
            if cluster.last_seen is None or ts > cluster.last_seen:
                cluster.last_seen = ts

    def add(self, line: str, ts: _dt.datetime | None = None) -> MatchResult:
        """Learn from `line` and return its cluster (``is_new`` when the line created it).

        `template` is the cluster's template after this line; later lines may still generalise it,
        so read :meth:`template_of` at the end for each line's final template.
        """
        keys, raws, seps = tokenize(line)
        cluster, is_new = self._learn(line, keys, seps)
        cluster.size += 1
        self._seen(cluster, ts)
        return MatchResult(cluster.template_id, cluster.template, is_new, _params(cluster.tokens, raws))

    def add_many(self, lines: Iterable[str], ts: _dt.datetime | None = None) -> list[int]:
        """Learn from every line in order and return their template ids.

        Same result as calling :meth:`add` on each line, much faster (see the module docstring).
        """
        lines = lines if isinstance(lines, list) else list(lines)
        joined = "\n".join(lines)
        if joined.count("\n") == len(lines) - 1:
            norms = joined.translate(DIGITS_TO_ZERO).split("\n") if lines else []
        else:  # lines with newlines inside
            norms = [line.translate(DIGITS_TO_ZERO) for line in lines]
        return self._label(lines, norms, ts).tolist()

    def add_text(self, text: str, ts: _dt.datetime | None = None) -> array:
        """Learn from the lines of `text` (split on ``\\n``) and return their ids as an int array.

        A trailing newline ends the last line (it does not start an empty one); empty text has no
        lines. The same result as :meth:`add_many` on those lines; the normalisation runs once over
        the whole text.
        """
        if not text:
            return array("I")
        text = text.removesuffix("\n")
        lines = text.split("\n")
        norms = text.translate(DIGITS_TO_ZERO).split("\n")
        return self._label(lines, norms, ts)

    def _label(self, lines: list[str], norms: list[str], ts: _dt.datetime | None) -> array:
        """Template ids of `lines` given their digit-normalised forms `norms` (same length)."""
        line_keys = self._line_keys
        ids = list(map(line_keys.get, norms))
        if None in ids or 0 in ids:
            self._resolve_misses(lines, norms, ids)
        labels = array("I", ids)
        clusters = self.clusters
        seen = self._seen
        for cid, count in Counter(labels).items():
            cluster = clusters[cid]
            cluster.size += count
            seen(cluster, ts)
        return labels

    def _resolve_misses(self, lines: list[str], norms: list[str], ids: list[int | None]) -> None:
        """Fill the None and 0 entries of `ids` by tokenising and learning, in stream order."""
        line_keys = self._line_keys
        exact_keys = self._exact_keys
        learn = self._learn
        todo = [i for i, cid in enumerate(ids) if not cid]
        j = 0
        while j < len(todo):
            index = todo[j]
            j += 1
            forgets = self._forgets
            norm = norms[index]
            cid = line_keys.get(norm)  # an earlier line of this batch may have filled it
            if cid is None:
                keys, _, seps = tokenize(norm)
                if digit_sensitive(norm, keys):
                    cid = 0
                else:
                    cid = learn(lines[index], keys, seps)[0].template_id
                if len(line_keys) >= self.line_keys_max:
                    line_keys.clear()
                line_keys[norm] = cid
            if cid == 0:
                line = lines[index]
                exact = digit_key(line)
                cid = exact_keys.get(exact)
                if cid is None:
                    keys, _, seps = tokenize(exact)
                    cid = learn(line, keys, seps)[0].template_id
                    if len(exact_keys) >= self.line_keys_max:
                        exact_keys.clear()
                    exact_keys[exact] = cid
            ids[index] = cid
            if forgets != self._forgets:
                # Ids looked up for later lines came from the forgotten caches: look them up again.
                todo = list(range(index + 1, len(ids)))
                j = 0

    def match(self, line: str) -> MatchResult:
        """Find the cluster of `line` without learning; ``template_id`` is None when none fits."""
        keys, raws, _ = tokenize(line)
        cid = self._signatures.get(keys)
        cluster = self.clusters[cid] if cid is not None else self._best(self._route(keys, False), keys)
        if cluster is None:
            return MatchResult(None, None, False, ())
        return MatchResult(cluster.template_id, cluster.template, False, _params(cluster.tokens, raws))

    @staticmethod
    def _generalise(cluster: Cluster, keys: tuple[str, ...]) -> None:
        tokens = cluster.tokens
        changed = False
        for i, (t, k) in enumerate(zip(tokens, keys)):
            if t != k and t != WILDCARD:
                tokens[i] = WILDCARD
                changed = True
        if changed:
            cluster._rendered = None

    def template_of(self, template_id: int) -> str:
        """Current template text of cluster `template_id`."""
        return self.clusters[template_id].template

    def __len__(self) -> int:
        return len(self.clusters)

    # ------------------------------------------------------------------ persistence
    def save(self, con: duckdb.DuckDBPyConnection, schema: str = "analytics") -> None:
        """Write the full miner state to `schema` in DuckDB, replacing what was there.

        Tables: ``pattern_miner_templates`` (template_id, template, masked_template, token_count, size,
        first_seen, last_seen, example, tokens, seps, tree_key), ``pattern_miner_signatures``
        (signature, template_id) and ``pattern_miner_state`` (key, value). Call it inside the caller's
        transaction (``con.begin()`` ... ``con.commit()``) to make the replacement atomic.
        """
        import pyarrow as pa

        q = _quote(schema)
        clusters = list(self.clusters.values())
        strings = pa.list_(pa.string())
        ts = pa.timestamp("us", tz="UTC")
        templates = pa.table(
            {
                "template_id": pa.array([c.template_id for c in clusters], pa.int64()),
                "template": pa.array([c.template for c in clusters], pa.string()),
                "masked_template": pa.array([c.masked_template for c in clusters], pa.string()),
                "token_count": pa.array([len(c.tokens) for c in clusters], pa.int32()),
                "size": pa.array([c.size for c in clusters], pa.int64()),
                "first_seen": pa.array([c.first_seen for c in clusters], ts),
                "last_seen": pa.array([c.last_seen for c in clusters], ts),
                "example": pa.array([c.example for c in clusters], pa.string()),
                "tokens": pa.array([list(c.tokens) for c in clusters], strings),
                "seps": pa.array([list(c.seps) for c in clusters], strings),
                "tree_key": pa.array([list(c.tree_key) for c in clusters], strings),
            }
        )
        signatures = pa.table(
            {
                "signature": pa.array([list(k) for k in self._signatures], strings),
                "template_id": pa.array(list(self._signatures.values()), pa.int64()),
            }
        )
        state = {"next_id": str(self._next_id)}
        state.update({name: repr(value) for name, value in self.config.as_dict().items()})
        state_table = pa.table({"key": list(state), "value": list(state.values())})

        con.execute(f"CREATE SCHEMA IF NOT EXISTS {q}")
        tag = f"_pattern_miner_{id(self)}"
        for name, table, ddl in (
            ("pattern_miner_templates", templates, _TEMPLATES_DDL),
            ("pattern_miner_signatures", signatures, "signature VARCHAR[], template_id BIGINT"),
            ("pattern_miner_state", state_table, "key VARCHAR PRIMARY KEY, value VARCHAR"),
        ):
            con.execute(f"CREATE OR REPLACE TABLE {q}.{name} ({ddl})")
            con.register(tag, table)
            try:
                con.execute(f"INSERT INTO {q}.{name} SELECT * FROM {tag}")
            finally:
                con.unregister(tag)

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, schema: str = "analytics") -> TemplateMiner:
        """Rebuild a miner saved with :meth:`save`; a missing state gives an empty miner."""
        q = _quote(schema)
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, "pattern_miner_state"],
        ).fetchone()
        if not exists or not exists[0]:
            return cls()
        state = dict(con.execute(f"SELECT key, value FROM {q}.pattern_miner_state").fetchall())
        config = MinerConfig(
            similarity=float(state["similarity"]),
            prefix_depth=int(state["prefix_depth"]),
            max_children=int(state["max_children"]),
        )
        miner = cls(config)
        miner._next_id = int(state["next_id"])
        rows = con.execute(
            f"""SELECT template_id, tokens, seps, tree_key, size, first_seen, last_seen, example
                FROM {q}.pattern_miner_templates ORDER BY template_id"""
        ).fetchall()
        for tid, tokens, seps, tree_key, size, first, last, example in rows:
            cluster = Cluster(
                int(tid),
                list(tokens),
                tuple(seps),
                tuple(tree_key),
                int(size),
                _utc(first),
                _utc(last),
                example,
            )
            miner.clusters[cluster.template_id] = cluster
            miner._leaves.setdefault(cluster.tree_key, []).append(cluster.template_id)
            miner._register_leaf(cluster.tree_key)
        for sig, tid in con.execute(
            f"SELECT signature, template_id FROM {q}.pattern_miner_signatures"
        ).fetchall():
            miner._signatures[tuple(sig)] = int(tid)
        return miner


_TEMPLATES_DDL = (
    "template_id BIGINT PRIMARY KEY, template VARCHAR, masked_template VARCHAR, token_count INTEGER, "
    "size BIGINT, first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ, example VARCHAR, tokens VARCHAR[], "
    "seps VARCHAR[], tree_key VARCHAR[]"
)


def _params(template: list[str], raws: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(raw for tok, raw in zip(template, raws) if is_mask(tok))


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _utc(value: Any) -> _dt.datetime | None:
    import datetime as _dt

    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=_dt.UTC)
    return value.astimezone(_dt.UTC)


def mine_templates(lines: list[str], config: MinerConfig | None = None) -> list[str]:
    """Mine `lines` in one pass and return each line's final template (input order)."""
    miner = TemplateMiner(config)
    ids = miner.add_many(lines)
    rendered = {cid: c.template for cid, c in miner.clusters.items()}
    return list(map(rendered.__getitem__, ids))
