"""Small typed accessors for values loaded from YAML/JSON, shared by the parsers.

Values come from `yaml_safety` (plain scalars are strings as written) or `json` (typed). A
field that holds the wrong kind of value raises `FieldError`, whose message names the field
by its dotted path and says what was found, so each parser decides whether that loses the
field, the document or the file.
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.facts.errors import quote


class FieldError(ValueError):
    """A field of the wrong type; `str(error)` is a one-line message naming the field."""


def kind_of(value: Any) -> str:
    """How a value reads to a person: 'a mapping', 'a list', 'null', 'a string', ..."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


def opt_text(value: Any, where: str) -> str | None:
    """A scalar field as text: `None` stays `None`; a mapping or a list is a `FieldError`.

    Plain YAML scalars already arrive as written (`lifecycle: 1` → "1"). Typed scalars only
    come from explicit YAML tags or JSON; they are written out the way YAML/JSON spell them
    (`true`, `1`, `1.5`).
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise FieldError(f"{where}: expected a string, got {kind_of(value)}")


def opt_mapping(value: Any, where: str) -> dict[Any, Any]:
    """A mapping field; absent/null is an empty mapping, anything else is a `FieldError`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FieldError(f"{where}: expected a mapping, got {kind_of(value)}")
    return value


_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def opt_int(value: Any, where: str, *, minimum: int, maximum: int) -> int | None:
    """A whole number in [minimum, maximum], written as digits; null stays `None`."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value)
    else:
        raise FieldError(f"{where}: expected a whole number, got {quote(value)}")
    if not minimum <= number <= maximum:
        raise FieldError(f"{where}: {number} is outside {minimum}..{maximum}")
    return number


def at_path(root: Any, dotted: str) -> Any:
    """The value at a dotted path of nested mappings (`service.kubernetes_override`).

    `None` when any step is missing, null or not a mapping.
    """
    node = root
    for key in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node
