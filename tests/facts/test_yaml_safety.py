"""The safe YAML loader: values as written, and hostile input refused quickly with a reason."""

from __future__ import annotations

import time

import pytest

from pipelines.facts.errors import ParseError
from pipelines.facts.yaml_safety import (
    YamlLimits,
    load_yaml_documents,
    load_yaml_stream,
    one_document,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on: [push]\n", {"on": ["push"]}),  # YAML 1.1: `on` → True
        ("v: 3.10\n", {"v": "3.10"}),  # YAML 1.1: float 3.1
        ("_commit: 1.10\n", {"_commit": "1.10"}),
        ("b: yes\nc: off\n", {"b": "yes", "c": "off"}),  # YAML 1.1 booleans
        ("d: 2024-01-31\n", {"d": "2024-01-31"}),  # would be a date
        ("n: 0o17\nh: 0x1F\ne: 1e3\n", {"n": "0o17", "h": "0x1F", "e": "1e3"}),
        ("=: 1\n", {"=": "1"}),  # PyYAML's SafeLoader fails on a plain `=`
        ("port: 8080\n", {"port": "8080"}),
        ('q: "8080"\n', {"q": "8080"}),
        ("a: ~\nb: null\nc: NULL\nd:\n", {"a": None, "b": None, "c": None, "d": None}),
        ("s: \"null\"\nt: '~'\n", {"s": "null", "t": "~"}),  # quoted: strings
        ("x: !!int 5\n", {"x": 5}),  # an explicit tag is honoured
        (
            "base: &b {x: 1}\nuse: {<<: *b, y: 2}\n",
            {"base": {"x": "1"}, "use": {"x": "1", "y": "2"}},
        ),
    ],
)
def test_scalars_are_kept_as_written(text: str, expected: dict) -> None:
    assert load_yaml_documents(text, "f.yaml") == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("# only a comment\n\n# another\n", []),
        ("a: 1\n", [{"a": "1"}]),
        ("---\na: 1\n", [{"a": "1"}]),
        ("a: 1\n---\n", [{"a": "1"}, None]),
        ("---\n---\na: 1\n", [None, {"a": "1"}]),
        ("a: 1\n---\n# comment only\n---\nb: 2\n", [{"a": "1"}, None, {"b": "2"}]),
    ],
)
def test_documents_of_a_stream(text: str, expected: list) -> None:
    assert load_yaml_documents(text, "f.yaml") == expected


def test_each_document_knows_its_starting_line() -> None:
    text = "# header\n\nkind: A\n---\n# note\nkind: B\n"
    docs = load_yaml_stream(text, "f.yaml")
    assert [(d.value, d.line) for d in docs] == [({"kind": "A"}, 3), ({"kind": "B"}, 6)]


def _bomb(levels: int) -> str:
    """The classic billion-laughs document: each level is 10 aliases of the one before."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * 10)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


HOSTILE = [
    pytest.param(_bomb(9), "expands to more than 1000000 nodes", id="billion-laughs"),
    pytest.param(_bomb(30), "expands to more than", id="alias-bomb-30-levels"),
    pytest.param("a: &x [1, *x]\n", "alias *x refers to its own anchor", id="recursive-alias"),
    pytest.param("a: &x {b: *x}\n", "refers to its own anchor", id="recursive-mapping"),
    pytest.param("a: *nope\n", "alias *nope has no anchor before it", id="undefined-alias"),
    pytest.param("[" * 200_000 + "]" * 200_000, "nesting", id="deep-flow-nesting"),
    pytest.param(
        "".join("  " * i + f"k{i}:\n" for i in range(150)) + "  " * 150 + "x\n",
        "nesting deeper than 100 levels",
        id="deep-block-nesting",
    ),
    pytest.param("- " * 500 + "x\n", "nesting deeper than 100 levels", id="deep-sequence"),
    pytest.param("a: " + "x" * (1 << 20) + "\n", "larger than the 1048576-byte limit", id="huge"),
    pytest.param(
        "a: !!python/object/apply:os.system [echo hi]\n",
        "could not determine a constructor",
        id="python-tag",
    ),
    pytest.param(
        "a: !include other.yml\n",
        "could not determine a constructor for the tag '!include'",
        id="custom-tag",
    ),
    pytest.param("{[a, b]: c}\n", "found unhashable key", id="unhashable-key"),
    pytest.param("a: !!int " + "9" * 5000 + "\n", "invalid YAML value", id="huge-int"),
    pytest.param("a: 'unclosed\n", "found unexpected end of stream", id="unclosed-quote"),
    pytest.param("a: 1\n\tb: 2\n", "YAML syntax error", id="tab-indent"),
    pytest.param("a: \x00\n", "character #x0000 is not allowed in YAML", id="nul-byte"),
    pytest.param("a: 1\nb: \x07\n", "line 2, column 4: character #x0007", id="bell-char"),
    pytest.param('a: "\\ud800"\n', "invalid Unicode character escape code", id="lone-surrogate"),
    pytest.param("%343", "found unknown directive name", id="bare-directive"),
]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("text", "reason"), HOSTILE)
def test_hostile_yaml_is_refused_quickly_with_a_reason(text: str, reason: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ParseError) as caught:
        load_yaml_documents(text, "repo/evil.yaml")
    assert time.perf_counter() - started < 1.0
    assert reason in str(caught.value)
    assert str(caught.value).startswith("repo/evil.yaml: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        # "b: c: d": the second colon is the 5th character of line 2
        ("a: 1\nb: c: d\n", 2, 5, "mapping values are not allowed"),
        ("a: *nope\n", 1, 4, "alias *nope has no anchor"),
        ("a: &x [1, *x]\n", 1, 11, "refers to its own anchor"),
    ],
)
def test_errors_carry_line_and_column(text: str, line: int, column: int, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        load_yaml_documents(text, "f.yaml")
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert reason in error.reason
    assert error.detail.startswith(f"line {line}, column {column}: ")


def test_node_limit_counts_expanded_aliases() -> None:
    # root mapping 1 + key a 1 + [1, 2] 3 + key b 1 + *x expanded 3 = 9 nodes
    text = "a: &x [1, 2]\nb: *x\n"
    assert load_yaml_documents(text, "f", YamlLimits(max_nodes=9)) == [
        {"a": ["1", "2"], "b": ["1", "2"]}
    ]
    with pytest.raises(ParseError, match="more than 8 nodes"):
        load_yaml_documents(text, "f", YamlLimits(max_nodes=8))


def test_node_limit_is_per_document() -> None:
    text = "[a, b]\n---\n[c, d]\n"  # 3 nodes each
    assert load_yaml_documents(text, "f", YamlLimits(max_nodes=3)) == [["a", "b"], ["c", "d"]]


def test_depth_limit_is_exact() -> None:
    text = "a:\n  b:\n    c:\n      d: 1\n"  # four nested mappings
    assert load_yaml_documents(text, "f", YamlLimits(max_depth=4))
    with pytest.raises(ParseError) as caught:
        load_yaml_documents(text, "f", YamlLimits(max_depth=3))
    # the fourth mapping starts at "d", the 7th character of line 4
    assert (caught.value.line, caught.value.column) == (4, 7)


def test_size_limit_counts_utf8_bytes() -> None:
    text = "a: " + "é" * 500 + "\n"  # 3 + 1000 + 1 bytes, 504 characters
    assert load_yaml_documents(text, "f", YamlLimits(max_bytes=1004))
    with pytest.raises(ParseError, match="larger than the 1003-byte limit"):
        load_yaml_documents(text, "f", YamlLimits(max_bytes=1003))


def test_an_unrendered_placeholder_is_named() -> None:
    text = "metadata:\n  name: {{cookiecutter.name | jsonify}}\n"
    with pytest.raises(ParseError, match="unrendered template placeholder"):
        load_yaml_documents(text, "f")


def test_one_document_refuses_none_and_several() -> None:
    assert one_document("---\na: 1\n---\n", "f") == {"a": "1"}
    with pytest.raises(ParseError, match="no YAML document"):
        one_document("# nothing\n", "f")
    with pytest.raises(ParseError) as caught:
        one_document("a: 1\n---\nb: 2\n", "f")
    assert caught.value.detail == "line 3: expected one YAML document, found 2"
