"""Random identifiers in bulk: git shas, Kubernetes uids and pod-template hashes."""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# The alphabet Kubernetes uses for pod-template-hash suffixes (no vowels, no 0/1/3).
_VARIANT = {c: "89ab"[i % 4] for i, c in enumerate("0123456789abcdef")}
_SAFE = np.frombuffer(b"bcdfghjklmnpqrstvwxz2456789", dtype=np.uint8)


def _strings(chars: np.ndarray) -> pl.Series:
    """Rows of ASCII codes (n × width uint8) → a String series."""
    n, width = chars.shape
    if n == 0:
        return pl.Series([], dtype=pl.String)
    raw = np.ascontiguousarray(chars).view(f"S{width}").ravel()
    return pl.Series(raw, dtype=pl.Binary).cast(pl.String)


def hex_strings(rng: np.random.Generator, n: int, width: int = 40) -> pl.Series:
    """`n` random lower-case hex strings of `width` characters (a git sha by default)."""
    if n == 0:
        return pl.Series([], dtype=pl.String)
    nibbles = np.frombuffer(rng.bytes(n * ((width + 1) // 2)), dtype=np.uint8)
    digits = np.empty((nibbles.size, 2), dtype=np.uint8)
    digits[:, 0], digits[:, 1] = nibbles >> 4, nibbles & 15
    return _strings(_HEX[digits.reshape(n, -1)[:, :width]])


def uuids(rng: np.random.Generator, n: int) -> pl.Series:
    """`n` random version-4-shaped UUID strings, like Kubernetes `metadata.uid`."""
    h = pl.DataFrame({"h": hex_strings(rng, n, 32)}).lazy()
    part = [pl.col("h").str.slice(a, b - a) for a, b in ((0, 8), (8, 12), (13, 16), (17, 20), (20, 32))]
    variant = pl.col("h").str.slice(16, 1).replace_strict(_VARIANT)  # RFC 4122: 8, 9, a or b
    out = h.select(pl.concat_str([part[0], part[1], pl.lit("4") + part[2], variant + part[3],
                                  part[4]], separator="-").alias("uid")).collect()
    return out["uid"]


def pod_template_hashes(rng: np.random.Generator, n: int) -> pl.Series:
    """`n` ten-character pod-template-hash values."""
    return _strings(_SAFE[rng.integers(0, _SAFE.size, (n, 10), dtype=np.uint8)])


def git_blob_sha(text: str) -> tuple[str, int]:
    """The git blob sha of a file's text and its size in bytes, as GitHub reports them."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest(), len(data)
