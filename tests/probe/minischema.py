"""A tiny JSON Schema checker for the subset smtpshell/probe/schema.json uses.

The venv has no ``jsonschema``; this keeps the schema test meaningful without it (the real
validator runs too when it can be found, see test_schema.py).  Supported keywords: type,
const, enum, required, properties, additionalProperties, propertyNames, items, oneOf,
minimum, maximum, pattern and local ``$ref``.  Anything else in the schema is an error, so
the schema cannot silently grow past what this checks.
"""

from __future__ import annotations

import re
from typing import Any

_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}
_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description"}
_KEYWORDS = {
    "type",
    "const",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "propertyNames",
    "items",
    "oneOf",
    "minimum",
    "maximum",
    "pattern",
    "$ref",
}


def _is(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def errors(instance: Any, schema: dict, root: dict | None = None, path: str = "$") -> list[str]:
    """Every way ``instance`` breaks ``schema``, as "path: problem" strings."""
    root = root if root is not None else schema
    unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
    if unknown:
        raise ValueError(f"{path}: schema keyword(s) this checker does not know: {unknown}")
    found: list[str] = []
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        found += errors(instance, target, root, path)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(instance, name) for name in names):
            return [*found, f"{path}: {instance!r} is not of type {names}"]
    if "const" in schema and instance != schema["const"]:
        found.append(f"{path}: {instance!r} is not {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        found.append(f"{path}: {instance!r} is not one of {schema['enum']}")
    if "oneOf" in schema:
        matches = [option for option in schema["oneOf"] if not errors(instance, option, root, path)]
        if len(matches) != 1:
            found.append(f"{path}: matches {len(matches)} of oneOf, not exactly 1")
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        if "minimum" in schema and instance < schema["minimum"]:
            found.append(f"{path}: {instance} < {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            found.append(f"{path}: {instance} > {schema['maximum']}")
    pattern = schema.get("pattern")
    if isinstance(instance, str) and pattern and not re.search(pattern, instance):
        found.append(f"{path}: {instance!r} does not match {schema['pattern']!r}")
    if isinstance(instance, dict):
        for name in schema.get("required", ()):
            if name not in instance:
                found.append(f"{path}: missing {name!r}")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, value in instance.items():
            if "propertyNames" in schema:
                found += errors(name, schema["propertyNames"], root, f"{path}.<{name}>")
            if name in properties:
                found += errors(value, properties[name], root, f"{path}.{name}")
            elif extra is False:
                found.append(f"{path}: unexpected property {name!r}")
            elif isinstance(extra, dict):
                found += errors(value, extra, root, f"{path}.{name}")
    if isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            found += errors(item, schema["items"], root, f"{path}[{index}]")
    return found
