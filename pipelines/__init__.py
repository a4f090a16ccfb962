"""pathlens: golden-path adoption metrics from GitHub, Kubernetes and Backstage into DuckDB.

Two names every part shares, here so that reading them imports nothing heavy: where the
published warehouse is when nothing names one, and the environment variable that names it
(the dashboard reads only that; for Dagster runs it overrides the configuration's `warehouse:`).
"""

DEFAULT_WAREHOUSE = "data/pathlens.duckdb"
WAREHOUSE_ENV = "PATHLENS_WAREHOUSE"
