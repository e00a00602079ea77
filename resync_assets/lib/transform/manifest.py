"""Whether dbt's parsed manifest (`target/manifest.json`) still matches the project's files.

`dbt parse` takes 10-20 s; the Dagster code location parses only when a model, test, macro, doc or
the project file changed since the manifest was written (or it is missing), instead of on every
load under `dagster dev`.
"""

from __future__ import annotations

from pathlib import Path

# What dbt reads when it parses: SQL, YAML (models, sources, tests, profiles), docs blocks, seeds.
SOURCE_SUFFIXES = (".sql", ".yml", ".yaml", ".md", ".csv", ".jinja")
# Written by dbt or by runs, not read by `dbt parse`.
IGNORED_DIRS = {"target", "logs", "dbt_packages", ".user.yml"}


def project_files(project_dir: Path) -> list[Path]:
    """The files `dbt parse` reads under ``project_dir``."""
    out: list[Path] = []
    for path in project_dir.rglob("*"):
        rel = path.relative_to(project_dir)
        if rel.parts and rel.parts[0] in IGNORED_DIRS:
            continue
        if path.is_file() and path.suffix in SOURCE_SUFFIXES:
            out.append(path)
    return out


def manifest_is_stale(project_dir: Path, manifest_path: Path) -> bool:
    """True when the manifest is missing or older than any file `dbt parse` reads."""
    if not manifest_path.exists():
        return True
    built = manifest_path.stat().st_mtime_ns
    return any(path.stat().st_mtime_ns > built for path in project_files(project_dir))
