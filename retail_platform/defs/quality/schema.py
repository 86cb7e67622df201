"""Schema change on the typed lake objects: Dagster's own check compares the latest
``dagster/column_schema`` with the previous one. A warning: a new column deserves a look, not a
stopped pipeline."""

import warnings

import dagster as dg

# Modules, not their asset lists: a defs module's own attributes are what autoloading collects.
from retail_platform.defs.lake import gold, silver

# Dagster's own builder, marked beta in 1.13; exactly that warning is filtered.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*build_column_schema_change_checks")
    schema_change_checks = list(dg.build_column_schema_change_checks(assets=[*silver.silver_assets, *gold.gold_assets]))
