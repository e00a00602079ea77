"""The weekly capacity report: data gathering (`data`), charts (`charts`), Jinja2 rendering and the
MIME message (`render`), and building / sending it once per ISO week (`build`)."""

from resync_assets.lib.report.build import BuiltReport, SendOutcome, build_report, reports_dir, send_report
from resync_assets.lib.report.data import NO_FORECAST, ReportData, gather
from resync_assets.lib.report.week import IsoWeek

__all__ = [
    "NO_FORECAST",
    "BuiltReport",
    "IsoWeek",
    "ReportData",
    "SendOutcome",
    "build_report",
    "gather",
    "reports_dir",
    "send_report",
]
