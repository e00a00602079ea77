"""Dagster definitions grouped by domain."""
