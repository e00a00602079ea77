"""Drift monitor: `analytics.drift_reports` and its HTML reports (logic in `lib/drift`)."""
