"""One refresh of `analytics.incident_analyses` and the figures that describe the whole table.

The Dagster asset `incident_analyses` calls `refresh_incident_analyses`, which holds the warehouse
writer twice and briefly: to read what the analysis needs, and to store the results. The analysis
itself (rules, and the LLM when one is configured) runs with no lock held, so a slow or hanging LLM
endpoint never keeps another writer (ingestion, dbt, the CLI) out of the warehouse; the analyst's
circuit breaker and time budget bound how long it can take. `incident_table_summary` describes the
table as it stands (not only what this refresh added), so the UI's metadata reads right when a
refresh finds no new failure.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from resync_assets.lib.rca import store
from resync_assets.lib.warehouse import writer

if TYPE_CHECKING:
    from resync_assets.lib.llm.client import LlmAnalyst
    from resync_assets.lib.rca.engine import Analysis


@dataclass
class Refresh:
    """What one refresh did: the new analyses (oldest first), the table as it now stands
    (`incident_table_summary`) and the LLM analyst's counters (empty without an LLM)."""

    analyses: list[Analysis]
    table: dict[str, Any]
    llm: dict[str, Any] = field(default_factory=dict)


def refresh_incident_analyses(
    path: str | os.PathLike,
    llm: LlmAnalyst | None = None,
    *,
    what: str = "incident_analyses",
    on_wait: Callable[[str], None] | None = None,
) -> Refresh:
    """Analyse the failed runs of the warehouse at `path` that have no analysis yet (or whose
    joblog arrived since).

    1. Under the writer: create the tables, store the calibration map in use whenever it changed
       (the packaged default plus what resolutions taught), read the context and the pending runs.
    2. No lock: analyse them (`store.analyse_runs`).
    3. Under the writer: store the analyses and notifications, describe the table.

    Only this asset writes `incident_analyses`, so nothing else changes the rows between 1 and 3; a
    joblog that arrives meanwhile makes its run pending again, as it always did.
    """
    with writer(path, what=what, on_wait=on_wait) as con:
        store.ensure_tables(con)
        ctx = store.load_context(con)
        newest = con.execute(
            f"select map from {store.SCHEMA}.incident_calibration order by fitted_at desc limit 1"
        ).fetchall()
        if ctx.calibration is not None and (not newest or newest[0][0] != ctx.calibration.to_json()):
            store.save_calibration(con, ctx.calibration)
        pending = store.pending_failed_runs(con)
    analysed = store.analyse_runs(pending, ctx, llm=llm)
    del pending
    with writer(path, what=what, on_wait=on_wait) as con:
        store.save_analyses(con, analysed)
        table = incident_table_summary(con)
    return Refresh([a for a, _ in analysed], table, llm.stats if llm is not None else {})


def incident_table_summary(con) -> dict[str, Any]:
    """Rows, failure families, mean confidence, how confidence is spread (quantiles and histogram,
    overall and per family) and unseen notifications of the whole table."""
    store.ensure_tables(con)
    families = con.execute(
        f"select family, count(*), avg(confidence) from {store.SCHEMA}.incident_analyses "
        "group by family order by 2 desc, 1"
    ).fetchall()
    confidences = con.execute(f"select family, confidence from {store.SCHEMA}.incident_analyses").fetchall()
    rows = sum(n for _, n, _ in families)
    mean = sum(n * (c or 0.0) for _, n, c in families) / rows if rows else None
    unseen = con.execute(
        f"select count(*) from {store.SCHEMA}.incident_notifications where not seen"
    ).fetchall()[0][0]
    return {
        "rows": int(rows),
        "families": {str(f): int(n) for f, n, _ in families},
        "family_confidence": {str(f): round(float(c or 0.0), 3) for f, _, c in families},
        "mean_confidence": round(float(mean), 3) if mean is not None else None,
        "confidence_spread": store.confidence_spread(
            [_Conf(str(f), float(c or 0.0)) for f, c in confidences]
        ),
        "unseen_notifications": int(unseen),
    }


class _Conf:
    """The two fields of an analysis `confidence_spread` reads."""

    __slots__ = ("confidence", "family")

    def __init__(self, family: str, confidence: float) -> None:
        self.family, self.confidence = family, confidence


def summary_markdown(new: list[Analysis], table: dict[str, Any], limit: int = 20) -> str:
    """Markdown for the UI: the whole table by family, then what this refresh added."""
    lines = [f"**{table['rows']} analysed failed runs** in `analytics.incident_analyses`.", ""]
    if table["families"]:
        spread = table.get("confidence_spread", {}).get("by_family", {})
        lines += ["| family | runs | confidence p10 / median / p90 |", "|---|---|---|"]
        lines += [
            f"| {family} | {n} | "
            + (
                f"{spread[family]['p10']:.2f} / {spread[family]['median']:.2f} / {spread[family]['p90']:.2f}"
                if spread.get(family)
                else "-"
            )
            + " |"
            for family, n in table["families"].items()
        ]
        lines.append("")
    if new:
        counts = Counter(a.family for a in new)
        lines.append(f"This refresh analysed {len(new)} new failed runs ({dict(counts)}):")
        lines.append("")
        lines.append(store.summary_markdown(new, limit=limit))
    else:
        lines.append("This refresh found no new failed run to analyse; the table above is unchanged.")
    return "\n".join(lines)
