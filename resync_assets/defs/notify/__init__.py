"""Telling the operator: the incident notifications sent after each analysis."""
