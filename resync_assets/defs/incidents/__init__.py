"""Incident analysis: root cause of every failed run, notifications, the sensor that reacts to new joblogs."""
