"""pathlens: golden-path adoption metrics from GitHub, Kubernetes and Backstage into DuckDB.

Names every part shares, here so that reading them imports nothing heavy: the configuration
file read when none is named, where the published warehouse is when nothing names one, and the
environment variable that names it (the dashboard reads only that; for Dagster runs it
overrides the configuration's `warehouse:`).
"""

DEFAULT_CONFIG_FILE = "pathlens.yaml"
DEFAULT_WAREHOUSE = "data/pathlens.duckdb"
WAREHOUSE_ENV = "PATHLENS_WAREHOUSE"
