"""How big each demo organisation is, and the time units the generator counts in."""

from __future__ import annotations

from dataclasses import dataclass

SECOND = 1_000_000  # timestamps are integer microseconds since the epoch (naive UTC)
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY + 10 * HOUR + 29 * MINUTE  # an average month


@dataclass(frozen=True)
class Scale:
    name: str
    service_repos: int  # repos planned to hold services (monorepos add a few more services)
    teams: int
    route_around_teams: int  # teams that mostly ignore the golden paths
    months: int  # how far back the first service was created
    runs_per_week: float  # mean CI runs per repo and week
    deploy_factor: float  # scales deploy cadence (keeps `large` within memory)
    exception_factor: float  # scales the monthly rate of exception requests
    forks: int
    sandboxes: int
    pr_namespaces: int


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("tiny", 18, 4, 1, 24, 2.0, 0.5, 0.6, 1, 1, 3),
        Scale("small", 56, 6, 1, 24, 4.0, 1.0, 0.8, 1, 1, 6),
        Scale("default", 290, 10, 2, 30, 6.0, 1.0, 1.0, 2, 2, 12),
        Scale("large", 9650, 40, 4, 36, 30.0, 0.4, 4.0, 12, 5, 150),
    )
}
