"""The one way an asset check says it had nothing to judge (no table, no rows, too few labels).

A check that finds nothing to judge must not show as passed: green would then mean "nothing was
looked at" as often as "the data is right". Dagster 1.13 has no "skipped" result a check can return
with its reason (a check resolves as SKIPPED only when it never emits a result, and then no reason
is recorded), and `passed=True` with `severity=WARN` still shows as passed. So a check with nothing
to judge returns `passed=False` at severity WARN, its reason in the description and in the metadata
key `nothing_to_judge`: the UI shows a warning, never an error, and never a pass.

Every check in `defs/` that can meet an empty or missing input returns `nothing_to_judge(reason)`;
`is_nothing_to_judge` tells such a result (or the evaluation Dagster records from it) from a failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

NOTHING_TO_JUDGE = "nothing_to_judge"


def nothing_to_judge(reason: str, metadata: Mapping[str, Any] | None = None) -> dg.AssetCheckResult:
    """A warning result: the check ran, found nothing to judge, and says why (never a pass)."""
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"nothing to judge: {reason}",
        metadata={NOTHING_TO_JUDGE: dg.MetadataValue.text(reason), **(metadata or {})},
    )


def is_nothing_to_judge(result: dg.AssetCheckResult | dg.AssetCheckEvaluation) -> bool:
    """True for a result made by `nothing_to_judge` (or the evaluation recorded from one)."""
    return (
        not result.passed
        and result.severity == dg.AssetCheckSeverity.WARN
        and NOTHING_TO_JUDGE in (result.metadata or {})
    )


def nothing_to_judge_reason(result: dg.AssetCheckResult | dg.AssetCheckEvaluation) -> str | None:
    """The reason a check gave for having nothing to judge, or None for a real pass or failure."""
    if not is_nothing_to_judge(result):
        return None
    value = result.metadata[NOTHING_TO_JUDGE]
    return str(getattr(value, "value", value))
