"""The dbt project's files: where it is, and whether its parsed manifest is up to date."""
