"""pytest plugin: in CI (`CI=true`) a session that skipped any test fails, listing the skipped tests.

A skip in CI hides a check that never ran (data, a tool or a service missing from the CI machine);
`tests/shared_data.missing()` already fails such tests in CI, and this catches any other skip. An
expected failure (xfail) is not a skip. Registered by `tests/conftest.py`.
"""

from __future__ import annotations

import pytest

from tests.shared_data import in_ci

_SKIPPED: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _SKIPPED.append(f"{report.nodeid}: {reason}")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if in_ci() and _SKIPPED:
        terminalreporter.section("skipped in CI (not allowed)", red=True)
        for line in _SKIPPED:
            terminalreporter.write_line(line)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if in_ci() and _SKIPPED and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
