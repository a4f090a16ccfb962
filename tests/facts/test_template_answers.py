"""copier / cruft answer files, and the template-source normalisation of SPEC §3."""

from __future__ import annotations

import time

import pytest

from pipelines.facts.errors import ParseError
from pipelines.facts.template_answers import (
    TemplateAnswer,
    normalise_template_source,
    parse_copier_answers,
    parse_cruft,
)
from tests.facts._corpus import names, read


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("https://github.com/Acme/Tpl.git/", "acme/tpl"),  # `/` then `.git` come off
        ("gh:acme/x", "acme/x"),
        ("git@github.com:acme/x.git", "acme/x"),
        ("GH:Acme/Template-Go-Service", "acme/template-go-service"),
        ("HTTPS://GitHub.com/Acme/X", "acme/x"),
        ("https://github.com/acme/x/", "acme/x"),
        ("https://github.com/acme/x.git", "acme/x"),
        ("gh:acme/x.git/", "acme/x"),
        ("gh:acme/x/.git", "acme/x"),
        ("acme/x", "acme/x"),
        ("  gh:acme/x  ", "acme/x"),
        ("gh:acme/x.github", "acme/x.github"),  # `.github` is not `.git`
        ("gh:acme/digit", "acme/digit"),  # ends in "git", not ".git"
        ("https://gitlab.com/Acme/X.git", "https://gitlab.com/acme/x"),  # other hosts keep theirs
        ("http://github.com/acme/x", "http://github.com/acme/x"),  # only https:// is named
        ("gl:acme/x", "gl:acme/x"),
        ("./templates/local/", "./templates/local"),
        ("https://github.com/", ""),
    ],
)
def test_normalise_template_source(source: str, expected: str) -> None:
    assert normalise_template_source(source) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "_src_path: gh:Acme/Tpl\n_commit: v1.2.0\n",
            TemplateAnswer("copier", "gh:Acme/Tpl", "acme/tpl", "v1.2.0"),
        ),
        (
            "_commit: 1.10\n_src_path: acme/tpl\n",
            TemplateAnswer("copier", "acme/tpl", "acme/tpl", "1.10"),
        ),
        ("_commit: 2024-01-31\n", TemplateAnswer("copier", None, None, "2024-01-31")),
        ("project: x\n", TemplateAnswer("copier", None, None, None)),
        ("_src_path: ''\n_commit:\n", TemplateAnswer("copier", None, None, None)),
        (
            "_src_path: https://github.com/\n",
            TemplateAnswer("copier", "https://github.com/", None, None),
        ),
    ],
)
def test_copier_answers(text: str, expected: TemplateAnswer) -> None:
    assert parse_copier_answers(text, ".copier-answers.yml") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no YAML document"),
        ("# Changes here will be overwritten by Copier\n", "no YAML document"),
        ("- _src_path: x\n", "expected a mapping at the top level, got a list"),
        ("_src_path: [a, b]\n", "_src_path: expected a string, got a list"),
        ("_commit: {sha: abc}\n", "_commit: expected a string, got a mapping"),
        ("_src_path: x\n_commit: [\n", "YAML syntax error"),
    ],
)
def test_copier_answers_refused(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_copier_answers(text, ".copier-answers.yml")
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"template": "https://github.com/Acme/Tpl.git", "commit": "abc123"}',
            TemplateAnswer("cruft", "https://github.com/Acme/Tpl.git", "acme/tpl", "abc123"),
        ),
        (
            '{"template": "gh:acme/tpl", "commit": null}',
            TemplateAnswer("cruft", "gh:acme/tpl", "acme/tpl", None),
        ),
        ('{"context": {}}', TemplateAnswer("cruft", None, None, None)),
        ('{"template": "x", "commit": 123}', TemplateAnswer("cruft", "x", "x", "123")),
    ],
)
def test_cruft(text: str, expected: TemplateAnswer) -> None:
    assert parse_cruft(text, ".cruft.json") == expected


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "file is empty"),
        ("  \n", "file is empty"),
        (
            '{\n  "template": "x",\n}',
            "line 3, column 1: invalid JSON: Expecting property name enclosed in double quotes",
        ),
        ("template: x\n", "line 1, column 1: invalid JSON: Expecting value"),
        ('["template"]', "expected a mapping at the top level, got a list"),
        ('{"template": ["a"]}', "template: expected a string, got a list"),
        ('{"commit": {"sha": "a"}}', "commit: expected a string, got a mapping"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
        ('{"commit": ' + "9" * 5000 + "}", "invalid JSON value"),
    ],
)
def test_cruft_refused(text: str, detail: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ParseError) as caught:
        parse_cruft(text, ".cruft.json")
    assert time.perf_counter() - started < 1.0
    assert caught.value.detail.startswith(detail)


def test_cruft_size_limit() -> None:
    text = '{"template": "' + "x" * 100 + '"}'
    assert parse_cruft(text, ".cruft.json", max_bytes=116).source == "x" * 100
    with pytest.raises(ParseError, match="larger than the 115-byte limit"):
        parse_cruft(text, ".cruft.json", max_bytes=115)


# --- the corpus -----------------------------------------------------------------------------

# file → (source, source_norm, commit), read by eye
CORPUS_ANSWERS = {
    "pyradiomics.copier-answers.yml": (
        "gh:scientific-python/cookie",
        "scientific-python/cookie",
        "2025.01.22-2-g6a4b022",  # git-describe output, kept as written
    ),
    "inline-snapshot.copier-answers.yml": (
        "https://github.com/15r10nk/project-template",
        "15r10nk/project-template",
        "v0.0.5",
    ),
    "pygadm.copier-answers.yml": ("gh:12rambau/pypackage", "12rambau/pypackage", "0.1.5"),
    "cruft-self-current.cruft.json": (
        "https://github.com/timothycrosley/cookiecutter-python",
        "timothycrosley/cookiecutter-python",
        "71391fd9999067ef4b38aa05e7116087fac431f8",
    ),
    # the literal placeholder "template_git_url": what the file says, not what was meant
    "cruft-self-old-placeholder-template.cruft.json": (
        "template_git_url",
        "template_git_url",
        "8dcb74cac5bb45919a23c692e9623330e7121665",
    ),
    "pathlens-shape-of-timeseriesflattener.cruft.json": (
        "https://github.com/Acme/python-cookiecutter",
        "acme/python-cookiecutter",
        "0f3c1d2e4b5a69788796a5b4c3d2e1f00a1b2c3d",
    ),
    # copier *template* configs (copier.yml), read as if they were answers: no _src_path
    "copier-demo-copier.yaml": (None, None, None),
    "copier-demo-legacy-migrations-anchors.yaml": (None, None, None),  # anchors and aliases
    "pathlens-shape-of-scientific-python-cookie-copier.yml": (None, None, None),
}

# file → detail of the ParseError
CORPUS_REFUSED = {
    "copier-answers-file-template.yml.tmpl": "expected a mapping at the top level, got a list",
    "copier-demo-config-empty-copier.yml": "no YAML document (the file is empty, only comments, or null)",
    "copier-demo-include-tag-multidoc.yml": "line 2, column 1: invalid YAML: could not determine a constructor for the tag '!include'",
    "copier-demo-invalid-copier.yml": "line 1, column 5: YAML syntax error: found unknown directive name",
}

# Backstage scaffolder templates (tested as catalog files in test_catalog)
SCAFFOLDER_TEMPLATES = {
    "software-templates-create-react-app-template.yaml",
    "software-templates-springboot-grpc-template.yaml",
    "software-templates-gitlab-merge-request-template.yaml",
    "backstage-scaffolder-v1beta2-demo-template.yaml",
    "backstage-legacy-v1alpha1-cra-template.yaml",
}


def test_the_corpus_tables_cover_every_templates_fixture() -> None:
    assert sorted([*CORPUS_ANSWERS, *CORPUS_REFUSED, *SCAFFOLDER_TEMPLATES]) == names("templates")


def _parse(name: str) -> TemplateAnswer:
    parse = parse_cruft if name.endswith(".json") else parse_copier_answers
    return parse(read("templates", name), name)


@pytest.mark.parametrize("name", sorted(CORPUS_ANSWERS))
def test_corpus_answer_files(name: str) -> None:
    answer = _parse(name)
    assert answer.tool == ("cruft" if name.endswith(".json") else "copier")
    assert (answer.source, answer.source_norm, answer.commit) == CORPUS_ANSWERS[name]


@pytest.mark.parametrize("name", sorted(CORPUS_REFUSED))
def test_corpus_refused_files(name: str) -> None:
    with pytest.raises(ParseError) as caught:
        _parse(name)
    assert caught.value.detail.startswith(CORPUS_REFUSED[name])
