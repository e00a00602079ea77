"""resync's own health, checked on a schedule so the UI shows it."""
