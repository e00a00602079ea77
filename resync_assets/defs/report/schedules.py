"""The weekly report's schedule: Monday 07:00 in `RESYNC_REPORT_TIMEZONE` (default UTC)."""

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

from resync_assets.defs import keys

weekly_report_job = dg.define_asset_job(
    name="weekly_report_job",
    selection=dg.AssetSelection.assets(keys.WEEKLY_CAPACITY_REPORT),
    description="Build the weekly capacity report and send it (once per ISO week).",
)


def report_timezone(environ=None) -> str:
    """`RESYNC_REPORT_TIMEZONE`, checked against the tz database (default UTC)."""
    name = ((os.environ if environ is None else environ).get("RESYNC_REPORT_TIMEZONE") or "").strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"RESYNC_REPORT_TIMEZONE is not a time zone: {name!r}") from None
    return name


def build_schedule(timezone: str) -> dg.ScheduleDefinition:
    """The Monday 07:00 schedule in `timezone`; each tick reports the week that just ended, with that
    week as run key, so a tick evaluated twice starts one run."""

    @dg.schedule(
        name="weekly_report_schedule",
        job=weekly_report_job,
        cron_schedule="0 7 * * 1",
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Monday 07:00 ({timezone}): the weekly capacity report of the week that just ended.",
    )
    def weekly_report_schedule(context: dg.ScheduleEvaluationContext):
        from resync_assets.lib.report.week import IsoWeek

        week = IsoWeek.last_complete(context.scheduled_execution_time.date())
        return dg.RunRequest(
            run_key=f"weekly-report-{week}",
            run_config={"ops": {"weekly_capacity_report": {"config": {"week": str(week)}}}},
            tags={"resync/report_week": str(week)},
        )

    return weekly_report_schedule


@dg.definitions
def report_schedules() -> dg.Definitions:
    """The job and its schedule; the time zone is read when the code location loads."""
    return dg.Definitions(jobs=[weekly_report_job], schedules=[build_schedule(report_timezone())])
