"""Peak resident memory of this process per stage, sampled from /proc (Linux)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


@contextlib.contextmanager
def stage(results: dict, name: str, interval: float = 0.02) -> Iterator[dict]:
    """Times the block and samples RSS every `interval` s; stores wall_s and peak_rss_mb."""
    peak = rss_bytes()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes())
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    entry: dict = {}
    start = time.perf_counter()
    try:
        yield entry
    finally:
        entry["wall_s"] = round(time.perf_counter() - start, 2)
        done.set()
        sampler.join()
        entry["peak_rss_mb"] = round(max(peak, rss_bytes()) / 2**20)
        results[name] = entry
