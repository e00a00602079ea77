"""The repository explains itself: no file cites a document or path outside it, and every repository
path the documentation names exists.

The one allowed outside reference is the public Loghub-2k benchmark data, found relative to the
repository as `<repo>/../shared/benchmarks/loghub` (or `RESYNC_LOGHUB_DIR`, see benchmarks/loghub_data.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOT_FILES = ("README.md", "Makefile", "pyproject.toml", ".env.example", "workspace.yaml", ".ci/run")
TREES = ("resync_assets", "tests", "benchmarks", "dbt_project", "docs", "notebooks")
SKIP_DIRS = {"__pycache__", "target", "logs", "dbt_packages", "results", "vendor", ".ipynb_checkpoints"}
TEXT_SUFFIXES = {".py", ".md", ".sql", ".yml", ".yaml", ".toml", ".ipynb", ".txt", ".cfg", ".ini", ""}

# Documents of the reference material the code was first written from; their content now lives in docs/.
_OUTSIDE_DOCS = ("ENDPOINTS", "JOBLOGS", "OQL", "STYLE", "STACK")
OUTSIDE = re.compile(
    r"\b(?:" + "|".join(_OUTSIDE_DOCS) + r")\.md\b"
    r"|/work/"
    r"|\btws-(?:api|domain)\b"
    r"|(?:\.\./|/)shared/(?!benchmarks/loghub\b)"
)


def _text_files() -> list[Path]:
    files = [REPO / name for name in ROOT_FILES if (REPO / name).is_file()]
    for tree in TREES:
        for path in sorted((REPO / tree).rglob("*")):
            rel = path.relative_to(REPO)
            if any(part in SKIP_DIRS for part in rel.parts[:-1]) or not path.is_file():
                continue
            if path.suffix in TEXT_SUFFIXES and path != Path(__file__).resolve():
                files.append(path)
    return files


def test_no_file_refers_to_a_document_or_path_outside_the_repo():
    offenders = []
    for path in _text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:120]}")
    assert not offenders, "references outside the repository:\n" + "\n".join(offenders)


# A repository path in backquotes or a Markdown link: `resync_assets/lib/tws/client.py`, (docs/x.md).
_PATH = re.compile(
    r"[`(](?P<path>(?:resync_assets|tests|benchmarks|dbt_project|docs|notebooks)/[A-Za-z0-9_./-]*[A-Za-z0-9_/])[`)]"
)


def _documents() -> list[Path]:
    readmes = [
        path
        for tree in TREES
        for path in sorted((REPO / tree).rglob("README.md"))
        if not SKIP_DIRS.intersection(path.relative_to(REPO).parts) and path.parent != REPO / "docs"
    ]
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *readmes]


@pytest.mark.parametrize("document", _documents(), ids=lambda p: str(p.relative_to(REPO)))
def test_repository_paths_named_in_the_documentation_exist(document: Path):
    text = document.read_text(encoding="utf-8")
    missing = sorted(
        {
            m["path"]
            for m in _PATH.finditer(text)
            if not (REPO / m["path"].rstrip("/")).exists()
            and not (document.parent / m["path"]).exists()
            and "results" not in m["path"].split("/")  # written by benchmark runs, git-ignored
        }
    )
    assert not missing, f"{document.relative_to(REPO)} names paths that do not exist: {missing}"


@pytest.mark.parametrize("document", sorted((REPO / "docs").glob("*.md")), ids=lambda p: p.name)
def test_links_between_documents_resolve(document: Path):
    links = re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", document.read_text(encoding="utf-8"))
    missing = [link for link in links if not (document.parent / link).exists()]
    assert not missing, f"{document.name} links to missing documents: {missing}"


def test_docs_index_lists_every_document():
    index = (REPO / "docs" / "README.md").read_text(encoding="utf-8")
    unlisted = [
        p.name
        for p in sorted((REPO / "docs").glob("*.md"))
        if p.name != "README.md" and f"]({p.name})" not in index
    ]
    assert not unlisted, f"docs/README.md does not list: {unlisted}"
