"""One refresh of `analytics.incident_analyses` and the figures that describe the whole table.

The Dagster asset `incident_analyses` calls `refresh_incident_analyses` under the warehouse writer;
`incident_table_summary` describes the table as it stands (not only what this refresh added), so the
UI's metadata reads right when a refresh finds no new failure.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from resync_assets.lib.rca import store

if TYPE_CHECKING:
    from resync_assets.lib.llm.client import LlmAnalyst
    from resync_assets.lib.rca.engine import Analysis


def refresh_incident_analyses(con, llm: LlmAnalyst | None = None) -> list[Analysis]:
    """Analyse the failed runs that have no analysis yet (or whose joblog arrived since).

    Stores the calibration map in use (the packaged default plus what resolutions taught) whenever it
    changed, then analyses the pending runs; returns the new analyses.
    """
    store.ensure_tables(con)
    ctx = store.load_context(con)
    newest = con.execute(
        f"select map from {store.SCHEMA}.incident_calibration order by fitted_at desc limit 1"
    ).fetchall()
    if ctx.calibration is not None and (not newest or newest[0][0] != ctx.calibration.to_json()):
        store.save_calibration(con, ctx.calibration)
    return store.analyse_failed_runs(con, llm=llm, context=ctx)


def incident_table_summary(con) -> dict[str, Any]:
    """Rows, failure families, mean confidence and unseen notifications of the whole table."""
    store.ensure_tables(con)
    families = con.execute(
        f"select family, count(*), avg(confidence) from {store.SCHEMA}.incident_analyses "
        "group by family order by 2 desc, 1"
    ).fetchall()
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
        "unseen_notifications": int(unseen),
    }


def summary_markdown(new: list[Analysis], table: dict[str, Any], limit: int = 20) -> str:
    """Markdown for the UI: the whole table by family, then what this refresh added."""
    lines = [f"**{table['rows']} analysed failed runs** in `analytics.incident_analyses`.", ""]
    if table["families"]:
        lines += ["| family | runs | mean confidence |", "|---|---|---|"]
        lines += [
            f"| {family} | {n} | {table['family_confidence'][family]:.2f} |"
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
