"""Stand-ins for dbt's jinja context, for sqlfluff's jinja templater only (never imported by dbt).

`library_path = sqlfluff_libs` in dbt_project/.sqlfluff exposes each module here by name in the
template context: `adapter` (adapter.dispatch) and `dbt` (dbt's cross-database macros). They
render what dbt-duckdb renders, so the linter parses the SQL DuckDB runs, with no connection.
"""
