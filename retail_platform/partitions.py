"""The one partitioning every daily asset shares: the business date (UTC)."""

import dagster as dg

# The first day the synthetic sources have data for (``generator.EPOCH``).
FIRST_DAY = "2024-01-01"

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")
