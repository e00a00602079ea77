"""Drive the Dagster UI as a person does, without a browser: `dagster dev` on loopback, its GraphQL.

Used by `benchmarks/ui_materialize.py` and `tests/ui/test_dagster_ui.py`:

* `demo_world(root, ...)`: the demo's simulated TWS server on loopback and its host history, and
  the environment that points the resources at them (as `resync demo` does);
* `DagsterDev`: `dagster dev -w workspace.yaml` on 127.0.0.1 with that environment, timed until the
  code location is served, launching jobs through the webserver's GraphQL (`launchRun`, what the
  UI's buttons call) and waiting for their runs.

A page's screenshot: `benchmarks/chromium.py`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
LOCATION = "resync"
DONE = {"SUCCESS", "FAILURE", "CANCELED"}


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def demo_world(root: Path, days: int, jobs: int, seed: int, end_date: dt.date) -> Iterator[dict[str, str]]:
    """The demo's simulator serving on loopback while inside, its host history written under ``root``;
    yields the environment (`DAGSTER_HOME` under ``root`` included) for `dagster dev`."""
    from resync_assets.cli import demo_run
    from resync_assets.sim.server import SimulatorServer
    from resync_assets.sim.workload import WorkloadConfig

    root.mkdir(parents=True, exist_ok=True)
    previous_home = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(root / ".dagster_home")
    try:
        home = demo_run.ensure_dagster_home(root)
    finally:
        if previous_home is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous_home
    demo_run.reset_demo_data(root)
    password = secrets.token_urlsafe(18)
    config = WorkloadConfig(seed=seed, days=days, jobs=jobs, end_date=end_date)
    clock = demo_run.simulator_clock(end_date)
    with SimulatorServer(
        config, host="127.0.0.1", port=0, user=demo_run.DEMO_USER, password=password, clock=clock
    ) as sim:
        demo_run.write_simulator_host_history(sim.workload, root / demo_run.SIM_HOST_METRICS_DIR)
        env = demo_run.demo_environment(root, sim.base_url, password, days)
        env["DAGSTER_HOME"] = str(home)
        yield env


class DagsterDev:
    """`dagster dev` on loopback in its own process group, and a GraphQL client for it."""

    def __init__(
        self, env: dict[str, str], log_path: Path, port: int | None = None, *, via_make: bool = False
    ):
        self.port = port or free_port()
        self.via_make = via_make
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.started = 0.0

    def command(self) -> list[str]:
        """`dagster dev -w workspace.yaml` on loopback, or `make dev` as a user types it (`via_make`:
        the install check, the instance settings and the embedded simulator included)."""
        if self.via_make:
            return [
                "make", "--no-print-directory", "dev",
                f"DAGSTER_HOME={self.env['DAGSTER_HOME']}", f"DEV_SIM_PORT={free_port()}",
                f"DEV_ARGS=-h 127.0.0.1 -p {self.port}",
            ]  # fmt: skip
        return [
            str(VENV_BIN / "dagster"),
            "dev",
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
        ]

    def start(self) -> None:
        """Start `dagster dev` (webserver, daemon, code server) with the workspace of this repository."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            self.command(),
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def stop(self) -> None:
        """Stop the process group `dagster dev` leads (webserver, daemon, code server, run workers)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, chars: int = 4000) -> str:
        """The end of `dagster dev`'s output, for error messages."""
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 60.0) -> dict:
        """POST a GraphQL query to the webserver; its `data`, or an error naming the GraphQL errors."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read())
        if payload.get("errors"):
            raise RuntimeError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def wait_served(self, timeout: float = 180.0) -> float:
        """Seconds from start until the webserver serves the code location loaded without error."""
        query = """{ workspaceOrError { __typename ... on Workspace { locationEntries {
            name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"dagster dev exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                data = self.graphql(query, timeout=10)
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.25)
                continue
            entries = data["workspaceOrError"].get("locationEntries") or []
            entry = next((e for e in entries if e["name"] == LOCATION), None)
            if entry and entry["loadStatus"] == "LOADED":
                loaded = entry["locationOrLoadError"] or {}
                if loaded.get("__typename") == "PythonError":
                    raise RuntimeError(f"code location failed to load: {loaded['message']}")
                return time.monotonic() - self.started
            time.sleep(0.25)
        raise TimeoutError(f"code location not served within {timeout} s:\n{self.log_tail()}")

    def launch(self, job_name: str, tags: dict[str, str] | None = None) -> str:
        """Launch a job of the code location through `launchRun`, as the UI does; its run id."""
        mutation = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
            __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
            ... on RunConfigValidationInvalid { errors { message } } ... on InvalidSubsetError { message }
            ... on PipelineNotFoundError { message } } }"""
        params = {
            "selector": {
                "repositoryLocationName": LOCATION,
                "repositoryName": "__repository__",
                "jobName": job_name,
            },
            "runConfigData": {},
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
        }
        result = self.graphql(mutation, {"params": params})["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            raise RuntimeError(f"launchRun failed: {result}")
        return result["run"]["runId"]

    def run(self, run_id: str) -> dict:
        """Status and times (creation, start, end; epoch seconds) of a run."""
        query = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run {
            runId jobName status creationTime startTime endTime } } }"""
        return self.graphql(query, {"id": run_id})["runOrError"]

    def wait_run(self, run_id: str, timeout: float = 900.0) -> dict:
        """Poll a run until it finishes; its last `run()` record."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.run(run_id)
            if run.get("status") in DONE:
                return run
            time.sleep(1.0)
        raise TimeoutError(f"run {run_id} not finished within {timeout} s:\n{self.log_tail()}")

    def runs(self) -> list[dict]:
        """Every run the instance recorded, newest first, with its job, status, tags and times."""
        query = """{ runsOrError { __typename ... on Runs { results {
            runId jobName status creationTime startTime endTime tags { key value } } } } }"""
        return self.graphql(query)["runsOrError"]["results"]
