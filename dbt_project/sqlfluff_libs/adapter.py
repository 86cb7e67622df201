"""`adapter.dispatch` as dbt-duckdb resolves it: `duckdb__<name>`, else `default__<name>`.

The candidates are the project macros (loaded by `load_macros_from_path = macros`); dispatching
to a dbt-internal macro is not emulated: it fails the file's lint (TMP), naming the macro.
"""

from jinja2 import TemplateRuntimeError, pass_context


@pass_context
def dispatch(context, macro_name, macro_namespace=None):
    for prefix in ("duckdb__", "default__"):
        macro = context.get(prefix + macro_name)
        if macro is not None:
            return macro
    # A jinja error: sqlfluff reports it on the file (TMP) instead of aborting the whole run.
    raise TemplateRuntimeError(
        f"adapter.dispatch({macro_name!r}): no duckdb__/default__ implementation in the project "
        "macros; add one, or a stand-in in dbt_project/sqlfluff_libs/dbt.py"
    )
