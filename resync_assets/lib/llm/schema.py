"""The JSON schema the LLM must answer in, and its validation (structure plus meaning)."""

from __future__ import annotations

from typing import Any

FAMILIES = (
    "oracle",
    "db2",
    "postgres",
    "java",
    "shell",
    "network",
    "transfer",
    "tws",
    "app",
    "memory",
    "filesystem",
    "authentication",
    "permission",
    "database",
    "timeout",
    "dependency",
    "script",
    "application",
)

ANALYSIS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["error_line_number", "family", "cause", "steps", "confidence"],
    "properties": {
        "error_line_number": {"type": "integer", "minimum": 1},
        "family": {"type": "string", "enum": list(FAMILIES)},
        "cause": {"type": "string", "minLength": 3, "maxLength": 400},
        "steps": {
            "type": "array",
            "maxItems": 8,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["text", "command"],
                "properties": {
                    "text": {"type": "string", "minLength": 1, "maxLength": 300},
                    "command": {"type": ["string", "null"], "maxLength": 200},
                },
            },
        },
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
}

RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "incident_analysis", "strict": True, "schema": ANALYSIS_SCHEMA},
}


def validate(data: Any, allowed_lines: set[int]) -> list[str]:
    """Problems with an answer (empty list: valid). `allowed_lines`: line numbers shown to the model."""
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema ships with the dev environment
        jsonschema = None
    errors: list[str] = []
    if jsonschema is not None:
        validator = jsonschema.Draft202012Validator(ANALYSIS_SCHEMA)
        errors = [e.message[:200] for e in validator.iter_errors(data)]
    elif not isinstance(data, dict) or set(data) != set(ANALYSIS_SCHEMA["properties"]):
        errors = ["answer does not have exactly the schema's keys"]
    if errors:
        return errors
    if data["error_line_number"] not in allowed_lines:
        errors.append("error_line_number is not one of the lines shown")
    return errors
