"""Fine-grained progress from inside an asset to whoever runs the refresh in this process.

`pathlens refresh` runs Dagster in-process and shows a rich progress bar; a source reports
"repos 120/2000" or "rate limit: waiting 31 s" through `report`, and the bar shows it. Under
`dagster dev` nobody listens and `report` does nothing (the asset also logs to Dagster).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

Sink = Callable[[str, int, int], None]
_sinks: list[Sink] = []


@contextlib.contextmanager
def listening(sink: Sink) -> Iterator[None]:
    """Deliver `report` calls to `sink` while the block runs."""
    _sinks.append(sink)
    try:
        yield
    finally:
        _sinks.remove(sink)


def report(stage: str, done: int, total: int) -> None:
    """Tell any listener how far a stage has got (thread-safe as the listener is)."""
    for sink in list(_sinks):
        sink(stage, done, total)
