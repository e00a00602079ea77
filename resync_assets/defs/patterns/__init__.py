"""Joblog patterns: mined templates and failure-mode clusters in `analytics` (template miner in `lib/patterns`)."""
