"""Storing a pass's analyses in one batch: an upsert per run, notifications kept, nothing doubled."""

from __future__ import annotations

import duckdb

from resync_assets.lib.rca import store
from resync_assets.lib.warehouse import writer
from tests.rca.conftest import build_warehouse, make_workload


def test_batch_upserts_analyses_keeps_notifications_and_the_last_pair_of_a_run_wins(tmp_path):
    wh = tmp_path / "wh.duckdb"
    truth = build_warehouse(wh, make_workload(days=2, jobs=40))
    with writer(wh) as con:
        store.ensure_tables(con)
        ctx = store.load_context(con)
        pending = store.pending_failed_runs(con)
    analysed = store.analyse_runs(pending, ctx)
    assert len(analysed) == len(truth) and all(run["text"] is None for _, run in analysed)
    with writer(wh) as con:
        store.save_analyses(con, analysed)
        first = dict(con.execute("select run_id, cause from analytics.incident_analyses").fetchall())
        seen_run = analysed[0][0].run_id
        con.execute("update analytics.incident_notifications set seen = true where run_id = ?", [seen_run])
        assert store.pending_failed_runs(con) == []
    for a, _ in analysed:
        a.cause = "revised: " + a.cause
    again = analysed + [analysed[1]]  # a run twice in one batch: stored once
    with writer(wh) as con:
        store.save_analyses(con, again)
        store.save_analyses(con, [])
    con = duckdb.connect(str(wh), read_only=True)
    try:
        rows = dict(con.execute("select run_id, cause from analytics.incident_analyses").fetchall())
        notes = con.execute("select run_id, seen, cause from analytics.incident_notifications").fetchall()
        files = con.execute(
            "select files from analytics.incident_analyses where run_id = ?", [seen_run]
        ).fetchone()
    finally:
        con.close()
    assert set(rows) == set(first) == {t.run_id for t in truth}
    assert all(rows[r] == "revised: " + first[r] for r in rows)
    # One notification per run, the first one kept (with its `seen` mark).
    assert len(notes) == len(truth) and {r for r, _, _ in notes} == set(rows)
    assert [s for r, s, _ in notes if s] == [True] and not any(c.startswith("revised") for _, _, c in notes)
    assert isinstance(files[0], list)
