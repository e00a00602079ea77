"""The joblog model: layout, error-line choice and run statuses, shared by every reader of joblogs.

* `layout` — bounded line reading (`iter_lines`, `clean_line`), the header / body / trailer structure
  (`LayoutTracker`, `JoblogHeader`, `body_lines`), windows around a line;
* `errorline` — line evidence and the choice of the error line (`scan`, `ErrorScanner`,
  `score_line`);
* `status` — which internal / common statuses mean failed or terminal (the dbt macro is generated
  from it).

Ingest, pattern mining (`lib/patterns`) and root-cause analysis (`lib/rca`) import these; nothing
else parses the joblog layout or lists failed statuses. The layout is described in
docs/joblog_layout.md.
"""

from resync_assets.lib.joblog.status import (
    FAILED_INTERNAL_STATUSES,
    TERMINAL_COMMON_STATUSES,
    TERMINAL_INTERNAL_STATUSES,
    is_failed,
    status_class,
)

__all__ = [
    "FAILED_INTERNAL_STATUSES",
    "TERMINAL_COMMON_STATUSES",
    "TERMINAL_INTERNAL_STATUSES",
    "is_failed",
    "status_class",
]
