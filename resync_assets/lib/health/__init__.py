"""resync's own status and health (`resync status`, the `resync_health` asset check)."""

from resync_assets.lib.health.status import CRITICAL, OK, UNKNOWN, WARN, Item, Status, collect_status, render

__all__ = ["CRITICAL", "OK", "UNKNOWN", "WARN", "Item", "Status", "collect_status", "render"]
