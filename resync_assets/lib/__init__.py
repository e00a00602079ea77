"""Plain-Python business logic of resync; no Dagster objects at module scope."""
