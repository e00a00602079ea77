"""The OQL field list (`sim/data/oql_fields.json`): generated from the spec subset, well formed, used."""

import json
from pathlib import Path

import pytest

from resync_assets.sim import fields
from resync_assets.sim.views import field_checker

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "tws_api" / "WA_API3_v2.subset.json"


def test_data_file_is_what_the_generator_makes_from_the_spec_subset():
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    assert fields.DATA_FILE.read_text(encoding="utf-8") == fields.render(spec, SPEC.name)


def test_data_file_names_its_source_and_generator():
    document = json.loads(fields.DATA_FILE.read_text(encoding="utf-8"))
    assert document["source"].startswith("WA_API3_v2.subset.json: ")
    assert "HWA 10.2.8" in document["source"]
    assert document["generated_by"].startswith("python -m resync_assets.sim.fields")


def test_every_object_type_has_sorted_unique_paths_whose_parents_are_listed():
    loaded = json.loads(fields.DATA_FILE.read_text(encoding="utf-8"))["fields"]
    assert list(loaded) == list(fields.LIST_OPERATIONS)
    sizes = {kind: len(paths) for kind, paths in loaded.items()}
    assert sizes == {
        "job": 237,
        "jobstream": 353,
        "workstation": 39,
        "jobdefinition": 39,
        "modeljobstream": 267,
    }
    for kind, paths in loaded.items():
        assert paths == sorted(set(paths)), kind
        for path in paths:
            assert path.count(".") < fields.MAX_DEPTH, path
            parent = path.rpartition(".")[0]
            assert not parent or parent in paths, (kind, path)


def test_loader_returns_frozensets_of_the_file():
    loaded = fields.oql_fields()
    assert all(isinstance(paths, frozenset) for paths in loaded.values())
    assert "jobruns.compositeStatus.status" in loaded["job"]
    assert "jobs.jobruns.compositeStatus.status" in loaded["jobstream"]
    assert "jobruns.compositeStatus.status.extra" not in loaded["job"]


@pytest.mark.parametrize(
    ("kind", "path", "expected"),
    [
        ("job", "jobStreamName", "jobStreamName"),
        ("job", "jobstreamName", "jobStreamName"),  # an alias the simulator maps to the spec name
        ("job", "nonexistent", None),
        ("workstation", "jobruns.id", None),  # a job path is not a workstation path
        ("modeljobstream", "def.startCondition.type", "def.startCondition.type"),
    ],
)
def test_field_checker_accepts_exactly_the_listed_paths(kind, path, expected):
    assert field_checker(kind)(path) == expected
