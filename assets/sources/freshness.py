"""How fresh the raw tables of every source must be."""

from datetime import timedelta

import dagster as dg

# The daily refresh runs at 05:00 UTC (assets/reports/automation.py): warn when a day was
# missed, fail when more than a day and a few hours passed without a load.
SOURCE_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=30), warn_window=timedelta(hours=26))
