"""Retail Platform: a retail data platform as a Dagster asset graph."""
