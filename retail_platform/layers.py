"""The platform's layers as asset groups, and the jobs that run them."""

# The lake: a day's landing files through to the warehouse load.
LAKE_GROUPS = ("landing", "bronze", "silver", "gold", "warehouse")
# The dbt project's model folders (the translator groups models by folder).
WAREHOUSE_GROUPS = ("staging", "intermediate", "dimensions", "facts", "marts")

DAILY_JOB = "retail_daily"
DBT_JOB = "warehouse_dbt"
