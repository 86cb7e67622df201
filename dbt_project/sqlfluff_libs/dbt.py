"""dbt's cross-database macros (`dbt.<name>(...)`) as dbt-duckdb 1.11 renders them.

Only the SQL shape matters (the linter parses it; templated code is not linted), so these are
simplified copies of dbt/include/{global_project,duckdb}/macros/utils. A macro missing here
renders as an undefined variable, which sqlfluff reports (TMP): add it here.
"""


# Types (dbt.type_*: api.Column.translate_type on DuckDB)
def type_string():
    return "text"


def type_int():
    return "integer"


def type_bigint():
    return "bigint"


def type_float():
    return "float"


def type_numeric():
    return "numeric(28, 6)"


def type_boolean():
    return "boolean"


def type_timestamp():
    return "timestamp"


# Functions
def current_timestamp():
    return "now()"


def hash(field):  # noqa: A001 - dbt's name
    return f"md5(cast({field} as text))"


def concat(fields):
    return " || ".join(fields)


def safe_cast(field, type):  # noqa: A002 - dbt's name
    return f"try_cast({field} as {type})"


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"({from_date_or_timestamp} + cast({interval} as bigint) * interval 1 {datepart})"


def datediff(first_date, second_date, datepart):
    return f"(date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp))"


def last_day(date, datepart):
    return f"cast(date_trunc('{datepart}', {date}) + interval 1 {datepart} - interval 1 day as date)"


def split_part(string_text, delimiter_text, part_number):
    return f"string_split({string_text}, {delimiter_text})[{part_number}]"


def any_value(expression):
    return f"any_value({expression})"


def bool_or(expression):
    return f"bool_or({expression})"


def generate_series(upper_bound):
    return f"select generate_series as generated_number from generate_series(1, {upper_bound})"
