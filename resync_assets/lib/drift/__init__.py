"""Drift monitor: reference vs current window of job durations, status and return-code mix, joblog
template mix and incident-analysis quality, with Evidently (see `monitor`). No Dagster here."""
