"""A bounded schemathesis run of the live simulator against the spec fixture.

Checks: no 5xx for any generated request (valid or not), every documented response conforms to its
schema, HEAD works wherever GET does (the spec copy gives each GET its HEAD twin), and a method the
API does not support answers 405 with an Allow header that names GET and HEAD. The spec copy relaxes
only the KNOWN_DEVIATIONS (see openapi_check.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import SIM_TOKEN
from tests.contract.openapi_check import relaxed_spec

MAX_EXAMPLES = 3


def test_simulator_conforms_to_the_spec_under_schemathesis(simulator, tmp_path):
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(relaxed_spec(head=True)))
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(spec_path),
        "--url",
        simulator.base_url,
        "--header",
        f"Authorization: Bearer {SIM_TOKEN}",
        "--checks",
        "not_a_server_error,response_schema_conformance,unsupported_method,allow_header_conformance",
        "--phases",
        "examples,coverage,fuzzing",
        "--mode",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "1",
        "--workers",
        "1",
        "--no-shrink",
        "--request-timeout",
        "30",
    ]
    # cwd=tmp_path keeps schemathesis' and hypothesis' working folders out of the repo.
    result = subprocess.run(command, check=False, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    summary = result.stdout[-4000:]
    assert result.returncode == 0, summary + result.stderr[-2000:]
    assert "34 selected / 34 total" in result.stdout, summary
    assert " passed" in summary and "failures" not in summary.split("SUMMARY")[-1], summary
