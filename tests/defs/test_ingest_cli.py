"""`resync ingest run`: one pass outside Dagster against the RESYNC_* settings of the environment."""

import duckdb

from resync_assets.cli import main
from resync_assets.sim.workload import WorkloadConfig

PASSWORD = "Cli-leak-canary-5e2b"


def test_ingest_run_loads_the_simulator_and_prints_the_report(make_simulator, tmp_path, monkeypatch, capsys):
    sim = make_simulator(WorkloadConfig(seed=11, days=2, jobs=30), user="cli-user", password=PASSWORD)
    warehouse = tmp_path / "w.duckdb"
    env = {
        "RESYNC_TWS_BASE_URL": sim.base_url,
        "RESYNC_TWS_USER": "cli-user",
        "RESYNC_TWS_PASSWORD": PASSWORD,
        "RESYNC_TWS_TOKEN": "",
        "RESYNC_WAREHOUSE_PATH": str(warehouse),
        "RESYNC_LAKE_DIR": str(tmp_path / "lake"),
        "RESYNC_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "RESYNC_BACKFILL_DAYS": "2",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert main(["ingest", "run", "--tables", "job_runs", "engine_info"]) == 0

    out = capsys.readouterr().out
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        runs = conn.execute("select count(*) from tws_raw.job_runs").fetchone()[0]
    truth = {row["run_id"] for plan_id in sim.workload.plan_ids() for row in sim.workload.runs(plan_id)}
    assert runs == len(truth) > 0
    assert f"= {runs}" in out.split("job_runs", 1)[1].splitlines()[0]
    assert "engine_info" in out and "joblogs" not in out
    assert PASSWORD not in out
