"""Reading the corpus fixtures (tests/fixtures/corpus/, provenance in tests/fixtures/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


def read(subdir: str, name: str) -> str:
    """The fixture's text, exactly as stored (no newline translation)."""
    return (CORPUS / subdir / name).read_bytes().decode("utf-8")


def names(subdir: str) -> list[str]:
    return sorted(p.name for p in (CORPUS / subdir).iterdir())
