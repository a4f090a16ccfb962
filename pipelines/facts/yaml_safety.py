"""Load untrusted YAML from repositories without crashing, hanging or exhausting memory.

`load_yaml_documents(text, path)` returns every document of a YAML stream as plain Python
(dict / list / str / None), or raises `ParseError` with the reason and the line/column.

Two passes over the text, both with libyaml (PyYAML's C parser when it is installed):

1. The event stream is scanned first, without building anything. It refuses a text over
   `max_bytes`, nesting deeper than `max_depth`, a document whose aliases would expand to
   more than `max_nodes` nodes (the "billion laughs" bomb: a few hundred bytes that expand to
   10^9 nodes), recursive aliases (an anchor used inside itself) and undefined aliases. This
   pass is a flat loop, so no hostile input can reach a recursion limit.
2. Only then are the documents composed and constructed, with PyYAML's safe constructor (no
   Python object tags).

Scalars are kept **as written**: the loader resolves only `null` (`~`, `null`, empty) and the
merge key `<<`; every other plain scalar stays a string. This sidesteps YAML 1.1's traps in the
files pathlens reads: `on:` (every workflow) would otherwise load as the boolean `True`,
`3.10` as the float `3.1`, `_commit: 1.10` as `1.1`, `yes` as `True`, `2024-01-01` as a date,
and a plain `=` would make PyYAML fail. Callers convert the few fields that are numbers
(`port`, `replicas`, resource quantities) themselves. An explicit tag (`!!int 5`) still
constructs a typed value; callers accept those too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.resolver import Resolver

from pipelines.facts.errors import ParseError

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_KEPT_TAGS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"}


def _kept_resolvers() -> dict[str | None, list[tuple[str, Any]]]:
    """PyYAML's own implicit resolvers for `null` and `<<` only (its regexps, not ours)."""
    kept: dict[str | None, list[tuple[str, Any]]] = {}
    for first, resolvers in Resolver.yaml_implicit_resolvers.items():
        for tag, regexp in resolvers:
            if tag in _KEPT_TAGS:
                kept.setdefault(first, []).append((tag, regexp))
    return kept


class _AsWrittenLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """libyaml's safe loader that resolves only `null` and `<<`; other plain scalars stay str."""

    yaml_implicit_resolvers = _kept_resolvers()


@dataclass(frozen=True)
class YamlLimits:
    """Bounds on one YAML text. The defaults are far above any real repo file of ours."""

    max_bytes: int = 1 << 20  # 1 MiB of UTF-8
    max_depth: int = 100  # nested mappings/sequences
    # A 1 MiB text spells out at most ~500k nodes (`[1,1,1,...]`), so only aliases reach this.
    max_nodes: int = 1_000_000  # nodes of a document once every alias is expanded


DEFAULT_LIMITS = YamlLimits()


@dataclass(frozen=True)
class YamlDocument:
    """One document of a stream: its value and the 1-based line where its content starts."""

    value: Any
    line: int


def load_yaml_documents(text: str, path: str, limits: YamlLimits = DEFAULT_LIMITS) -> list[Any]:
    """Every document of the YAML stream `text`, in order, as plain Python values.

    An empty document (`---` with nothing after it) is `None`; a text of only comments or
    whitespace has no documents (`[]`). Raises `ParseError` for anything malformed or over
    `limits` — for the whole text, not just one document, since a parser that stopped half
    way cannot say which documents it would have seen.
    """
    return [doc.value for doc in load_yaml_stream(text, path, limits)]


def load_yaml_stream(
    text: str, path: str, limits: YamlLimits = DEFAULT_LIMITS
) -> list[YamlDocument]:
    """Like `load_yaml_documents`, with each document's starting line (for error messages)."""
    check_size(text, path, limits.max_bytes)
    try:
        lines = _scan_events(text, path, limits)
        values = list(yaml.load_all(text, Loader=_AsWrittenLoader))
    except ParseError:
        raise
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(path, exc, text) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(path, exc, text) from None
    except yaml.YAMLError as exc:
        raise ParseError(path, f"invalid YAML: {exc}") from None
    except (ValueError, RecursionError, TypeError) as exc:
        # e.g. an explicit `!!int` with more digits than Python converts
        raise ParseError(path, f"invalid YAML value: {exc}") from None
    return [YamlDocument(value, line) for value, line in zip(values, lines, strict=True)]


def one_document(text: str, path: str, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """The single non-empty document of `text`; `ParseError` when there is none or several."""
    docs = [doc for doc in load_yaml_stream(text, path, limits) if doc.value is not None]
    if not docs:
        raise ParseError(path, "no YAML document (the file is empty, only comments, or null)")
    if len(docs) > 1:
        raise ParseError(path, f"expected one YAML document, found {len(docs)}", line=docs[1].line)
    return docs[0].value


def check_size(text: str, path: str, max_bytes: int) -> None:
    """Raise `ParseError` when `text` is longer than `max_bytes` in UTF-8."""
    # len(text) <= UTF-8 length, so the cheap test first; encoding a huge string is not free.
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ParseError(path, f"file is larger than the {max_bytes}-byte limit")


def _scan_events(text: str, path: str, limits: YamlLimits) -> list[int]:
    """Walk the event stream once, enforcing depth, alias expansion and alias sanity.

    Returns the 1-based line where each document's root node starts.
    """
    starts: list[int] = []
    open_sizes: list[int] = []  # expanded node count of each open collection
    open_anchors: list[str | None] = []
    anchors: dict[str, int] = {}  # anchor → expanded node count of the anchored node
    expanded = 0  # nodes in the current document, aliases expanded

    def grow(event: yaml.Event, size: int) -> None:
        nonlocal expanded
        expanded += size
        if expanded > limits.max_nodes:
            raise _event_error(
                path,
                event,
                f"document expands to more than {limits.max_nodes} nodes "
                "(aliases referring to aliases: a YAML bomb?)",
            )

    def close(size: int) -> None:
        if open_sizes:
            open_sizes[-1] += size

    for event in _events(text):
        if isinstance(event, yaml.NodeEvent) and expanded == 0:
            starts[-1] = event.start_mark.line + 1  # the root node, past comments and `---`
        if isinstance(event, yaml.DocumentStartEvent):
            anchors.clear()
            expanded = 0
            starts.append(event.start_mark.line + 1)
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(open_sizes) >= limits.max_depth:
                raise _event_error(path, event, f"nesting deeper than {limits.max_depth} levels")
            grow(event, 1)
            open_sizes.append(1)
            open_anchors.append(event.anchor)
        elif isinstance(event, yaml.CollectionEndEvent):
            size = open_sizes.pop()
            anchor = open_anchors.pop()
            if anchor is not None:
                anchors[anchor] = size
            close(size)
        elif isinstance(event, yaml.ScalarEvent):
            grow(event, 1)
            if event.anchor is not None:
                anchors[event.anchor] = 1
            close(1)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor in open_anchors:
                raise _event_error(path, event, f"alias *{event.anchor} refers to its own anchor")
            if event.anchor not in anchors:
                raise _event_error(path, event, f"alias *{event.anchor} has no anchor before it")
            size = anchors[event.anchor]
            grow(event, size)
            close(size)
    return starts


def _events(text: str) -> Iterator[yaml.Event]:
    loader = _AsWrittenLoader(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def _event_error(path: str, event: yaml.Event, reason: str) -> ParseError:
    mark = event.start_mark
    return ParseError(path, reason, line=mark.line + 1, column=mark.column + 1)


def _reader_error(path: str, exc: yaml.reader.ReaderError, text: str) -> ParseError:
    """A character YAML does not allow (a NUL, a control character), located by line/column."""
    position = min(max(exc.position, 0), len(text))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    char = exc.character
    shown = f"#x{char:04x}" if isinstance(char, int) else repr(char)
    reason = f"character {shown} is not allowed in YAML ({exc.reason})"
    return ParseError(path, reason, line=line, column=column)


# Jinja / cookiecutter / Backstage scaffolder / copier placeholders left in a file
_PLACEHOLDER = re.compile(r"\{\{|\{%|\[\[")


def _marked_error(path: str, exc: yaml.MarkedYAMLError, text: str) -> ParseError:
    problem = exc.problem or "invalid YAML"
    reason = f"{problem} ({exc.context})" if exc.context else problem
    syntax = isinstance(exc, yaml.scanner.ScannerError | yaml.parser.ParserError)
    message = f"{'YAML syntax error' if syntax else 'invalid YAML'}: {reason}"
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return ParseError(path, message)
    lines = text.splitlines()
    if mark.line < len(lines) and _PLACEHOLDER.search(lines[mark.line]):
        message += "; the line holds an unrendered template placeholder"
    return ParseError(path, message, line=mark.line + 1, column=mark.column + 1)
