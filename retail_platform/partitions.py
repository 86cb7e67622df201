"""The one partitioning every daily asset shares: the business date (UTC)."""

import dagster as dg

# The first day the synthetic sources have data for (``generator.EPOCH``).
FIRST_DAY = "2024-01-01"

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")

# The tags of a run over a partition range (a single-run backfill, the CLI, a job backfill).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
