"""Data quality: pure rules and statistics (``rules``, ``stats``) and the Dagster checks built on them (``checks``)."""
