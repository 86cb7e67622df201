"""Stand-ins for dbt's jinja context, for sqlfluff's jinja templater only (never imported by dbt).

`library_path = sqlfluff_libs` in dbt_project/.sqlfluff exposes each module here by name in the
template context: `adapter` (adapter.dispatch) and `dbt` (dbt's cross-database macros). They
render what dbt-duckdb renders, so the linter parses the SQL DuckDB runs, with no connection.
"""


def env_var(name, default=None):
    """dbt's `env_var`: the linter renders the default (what dbt run by hand without it reads)."""
    return default if default is not None else name
