"""The one definition of run statuses: which runs failed, which never change again.

Internal statuses are TWS's own (conman `State`, REST `status.internalStatus`); common statuses are
the Dynamic Workload Console's (`status.commonStatus`). Meanings: docs/joblog_layout.md §5.

Everything that asks "did this run fail?" or "is this run over?" imports these sets: ingest (which
joblogs to fetch, which runs are final), pattern mining, root-cause analysis, the asset checks, and
the dbt project, whose `status_class` macro is generated from this module (`render_dbt_macro`; a test
fails when `dbt_project/macros/status_class.sql` differs from it).
"""

from __future__ import annotations

# A run that ended without doing its work. DONE ("completed in an unknown state") counts as failed:
# the REST API maps it to the common status ERROR, and an operator has to look at it.
FAILED_INTERNAL_STATUSES: frozenset[str] = frozenset({"ABEND", "FAIL", "ERROR", "DONE"})
SUCCESS_INTERNAL_STATUSES: frozenset[str] = frozenset({"SUCC"})
CANCELLED_INTERNAL_STATUSES: frozenset[str] = frozenset({"CANCL", "CANCLP"})
RUNNING_INTERNAL_STATUSES: frozenset[str] = frozenset(
    {"EXEC", "INTRO", "WAIT", "BOUND", "PEND", "SUCCP", "ABENP", "STARTED"}
)
WAITING_INTERNAL_STATUSES: frozenset[str] = frozenset(
    {"HOLD", "READY", "SCHED", "ADD", "FENCE", "PENDPRED", "ARRVING", "NONREPPRED"}
)
# Internal statuses with no class of their own (suppressed, external, stuck stream, ...): the common
# status does not decide for them either.
OTHER_INTERNAL_STATUSES: frozenset[str] = frozenset(
    {"SUPPR", "EXTRN", "STUCK", "SUSP", "INTRPT", "COMPLT", "UNDCDED"}
)
# Internal statuses after which a run never changes again.
TERMINAL_INTERNAL_STATUSES: frozenset[str] = (
    FAILED_INTERNAL_STATUSES | SUCCESS_INTERNAL_STATUSES | frozenset({"CANCL", "SUPPR"})
)

FAILED_COMMON_STATUSES: frozenset[str] = frozenset({"ERROR"})
SUCCESS_COMMON_STATUSES: frozenset[str] = frozenset({"SUCCESSFUL"})
RUNNING_COMMON_STATUSES: frozenset[str] = frozenset({"RUNNING"})
WAITING_COMMON_STATUSES: frozenset[str] = frozenset(
    {"WAITING", "WAITING_FOR_TRIGGER", "READY", "READY_PREV_WS_NONREP", "HELD", "BLOCKED"}
)
CANCELLED_COMMON_STATUSES: frozenset[str] = frozenset({"CANCELED", "CANCEL_PENDING"})
# Common statuses after which a run never changes again (the REST API's "terminal" mapping).
TERMINAL_COMMON_STATUSES: frozenset[str] = frozenset(
    {"SUCCESSFUL", "ERROR", "CANCELED", "COMPLETED", "DUMMY_COMPLETED", "SUPPRESS", "SUPPRESS_BY_COND"}
)

# Status classes, in the order the macro tests them.
_INTERNAL_CLASSES = (
    ("success", SUCCESS_INTERNAL_STATUSES),
    ("failure", FAILED_INTERNAL_STATUSES),
    ("running", RUNNING_INTERNAL_STATUSES),
    ("waiting", WAITING_INTERNAL_STATUSES),
    ("cancelled", CANCELLED_INTERNAL_STATUSES),
)
_COMMON_CLASSES = (
    ("success", SUCCESS_COMMON_STATUSES),
    ("failure", FAILED_COMMON_STATUSES),
    ("running", RUNNING_COMMON_STATUSES),
    ("waiting", WAITING_COMMON_STATUSES),
    ("cancelled", CANCELLED_COMMON_STATUSES),
)


def is_failed(internal_status: str | None) -> bool:
    """True when a run with this internal status failed."""
    return (internal_status or "").upper() in FAILED_INTERNAL_STATUSES


def status_class(internal_status: str | None, common_status: str | None = None) -> str:
    """success / failure / running / waiting / cancelled / other, as the dbt macro computes it."""
    internal = (internal_status or "").upper() or None
    for name, members in _INTERNAL_CLASSES:
        if internal in members:
            return name
    if internal is not None and internal in OTHER_INTERNAL_STATUSES:
        return "other"
    common = (common_status or "").upper()
    for name, members in _COMMON_CLASSES:
        if common in members:
            return name
    return "other"


def sql_list(statuses: frozenset[str] | tuple[str, ...]) -> str:
    """`'A', 'B'` (sorted) for a SQL `in (...)`."""
    return ", ".join(f"'{s}'" for s in sorted(statuses))


def render_dbt_macro() -> str:
    """The text of `dbt_project/macros/status_class.sql`, generated from the sets above."""
    inner = "\n".join(
        f"        when {{{{ internal_status }}}} in ({sql_list(members)}) then '{name}'"
        for name, members in _INTERNAL_CLASSES
    )
    common = "\n".join(
        f"                when {{{{ common_status }}}} in ({sql_list(members)}) then '{name}'"
        for name, members in _COMMON_CLASSES
    )
    return (
        "{#- GENERATED from resync_assets/lib/joblog/status.py (render_dbt_macro); do not edit by hand:\n"
        "    `python -m resync_assets.lib.joblog.status > dbt_project/macros/status_class.sql`.\n"
        "    Normalised status class of a run from its internal status (compositeStatus.status, the\n"
        "    precise one) falling back to the common status; see docs/joblog_layout.md section 5. Both\n"
        "    arguments are expected upper-case (staging upper-cases them once).\n"
        "    success / failure / running / waiting / cancelled / other. -#}\n"
        "{% macro status_class(internal_status, common_status) -%}\n"
        "    case\n"
        f"{inner}\n"
        "        when {{ internal_status }} is null or {{ internal_status }} not in\n"
        f"            ({sql_list(OTHER_INTERNAL_STATUSES)}) then\n"
        "            case\n"
        f"{common}\n"
        "                else 'other'\n"
        "            end\n"
        "        else 'other'\n"
        "    end\n"
        "{%- endmacro %}\n"
        "\n"
        "{#- Internal statuses of a failed run, for `in (...)` filters. -#}\n"
        "{% macro failed_internal_statuses() -%}\n"
        f"    ({sql_list(FAILED_INTERNAL_STATUSES)})\n"
        "{%- endmacro %}\n"
        "\n"
        "{#- Internal statuses after which a run never changes again. -#}\n"
        "{% macro terminal_internal_statuses() -%}\n"
        f"    ({sql_list(TERMINAL_INTERNAL_STATUSES)})\n"
        "{%- endmacro %}\n"
    )


if __name__ == "__main__":  # pragma: no cover - regenerates the dbt macro
    import sys

    sys.stdout.write(render_dbt_macro())
