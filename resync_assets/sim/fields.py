"""OQL-addressable property paths per object type, as data: `sim/data/oql_fields.json`.

The file is generated from the TWS REST API v2 spec subset (`tests/fixtures/tws_api/WA_API3_v2.subset.json`):
every property path of a list operation's result items, up to four levels deep, walking through arrays
and `allOf`. Regenerate it after changing the spec subset:

    .venv/bin/python -m resync_assets.sim.fields tests/fixtures/tws_api/WA_API3_v2.subset.json
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "oql_fields.json"

# Object type (as the simulator's views name it) -> the list operation whose result items it describes.
LIST_OPERATIONS = {
    "job": "/twsd/api/v2/plan/job",
    "jobstream": "/twsd/api/v2/plan/jobstream",
    "workstation": "/twsd/api/v2/plan/workstation",
    "jobdefinition": "/twsd/api/v2/model/jobdefinition",
    "modeljobstream": "/twsd/api/v2/model/jobstream",
}
MAX_DEPTH = 4


@lru_cache(maxsize=1)
def oql_fields() -> dict[str, frozenset[str]]:
    """The property paths OQL may name, per object type, read once from `data/oql_fields.json`."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {kind: frozenset(paths) for kind, paths in data["fields"].items()}


def fields_from_spec(spec: dict) -> dict[str, list[str]]:
    """Every property path (sorted) of each list operation's result items in an OpenAPI 3 `spec`."""
    schemas = spec["components"]["schemas"]

    def resolve(schema: dict) -> dict:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def walk(schema: dict, prefix: str, depth: int, out: set[str]) -> None:
        schema = resolve(schema)
        while "items" in schema:  # arrays are walked through: `jobruns.id` names a field of each run
            schema = resolve(schema["items"])
        properties: dict = {}
        for part in [schema, *(resolve(s) for s in schema.get("allOf", []))]:
            properties.update(part.get("properties", {}))
        for name, sub in properties.items():
            path = f"{prefix}.{name}" if prefix else name
            out.add(path)
            if depth + 1 < MAX_DEPTH:
                walk(sub, path, depth + 1, out)

    result = {}
    for kind, operation in LIST_OPERATIONS.items():
        response = spec["paths"][operation]["get"]["responses"]["200"]
        page = resolve(response["content"]["application/json"]["schema"])
        paths: set[str] = set()
        walk(page["properties"]["results"], "", 0, paths)
        result[kind] = sorted(paths)
    return result


def render(spec: dict, spec_name: str) -> str:
    """The text of `data/oql_fields.json` for `spec` (named `spec_name` in its `source`)."""
    document = {
        "source": f"{spec_name}: {spec['x-subset-notes']['source']}",
        "generated_by": "python -m resync_assets.sim.fields <spec>",
        "fields": fields_from_spec(spec),
    }
    return json.dumps(document, indent=1) + "\n"


def main(argv: list[str]) -> int:
    """Regenerate `data/oql_fields.json` from the spec file given as the only argument."""
    if len(argv) != 1:
        print("usage: python -m resync_assets.sim.fields <WA_API3_v2.subset.json>", file=sys.stderr)
        return 2
    spec_path = Path(argv[0])
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    DATA_FILE.write_text(render(spec, spec_path.name), encoding="utf-8")
    print(f"wrote {DATA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
