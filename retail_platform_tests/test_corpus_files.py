"""A corpus of bad landing files, each run through the real bronze asset: what is read (and that no
row is lost), what is skipped and reported, what fails and what the message names.

Every case states its expected outcome in its data: ``rows`` (the data rows of each file read —
bronze must hold exactly these), ``encodings``, ``skipped`` (file -> words of the reason),
``empty`` (files reported in ``empty_files``), or ``error`` (words the failure message must hold;
every failure must also name the file, the partition and the way out)."""

from __future__ import annotations

import codecs
import gzip
import json
import logging
from dataclasses import dataclass, field

import dagster as dg
import pytest

from retail_platform.automation.settings import AutomationSettings
from retail_platform.defs.automation.sensors import landing_sensor
from retail_platform.lake.paths import partition_dir, partition_file
from retail_platform.sources.registry import table_spec
from retail_platform_tests.platform import lake_assets

DAY = "2026-11-05"
STAMP = DAY.replace("-", "")
REDO = "re-materialize bronze/{table} for " + DAY

# --- file contents ---------------------------------------------------------------------------------

POS_HEADER = (
    "transaction_id,store_id,register_id,customer_id,transaction_ts,currency,payment_method,total_amount,updated_at"
)


def pos_csv(rows: int, *, customer: str = "C1", start: int = 1) -> str:
    lines = [POS_HEADER] + [
        f"T{n:06d},S001,R1,{customer},2026-11-05T10:00:00Z,EUR,card,12.50,2026-11-05T10:00:00Z"
        for n in range(start, start + rows)
    ]
    return "\n".join(lines) + "\n"


def customer(n: int, first_name: str = "Zoë") -> dict:
    return {"customer_id": f"C{n:05d}", "first_name": first_name, "last_name": "Müller", "updated_at": DAY}


def customers_jsonl(rows: int) -> bytes:
    return b"".join(json.dumps(customer(n), ensure_ascii=False).encode() + b"\n" for n in range(1, rows + 1))


def store(n: int) -> dict:
    return {"store_id": f"S{n:03d}", "name": f"Store {n}", "square_meters": 1200, "updated_at": DAY}


GOOD_POS = {f"pos_transactions_{STAMP}.csv": pos_csv(3).encode()}
ACCENTED = pos_csv(2, customer="Müller – Zoë")


@dataclass(frozen=True)
class Case:
    id: str
    table: str
    files: dict[str, bytes]  # name (or sub/path) under landing/<source>/<table>/dt=DAY -> bytes
    expect: str  # the outcome, in words
    rows: dict[str, int] | None = None  # read: data rows per file read (None: the step must fail)
    encodings: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    empty: tuple[str, ...] = ()
    error: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)  # read: column -> a value bronze must hold
    folder: str | None = None  # the files land in this folder instead of dt=DAY


CASES = [
    # --- encodings ------------------------------------------------------------------------------
    Case(
        "csv-utf8-baseline",
        "pos_transactions",
        GOOD_POS,
        "read, utf-8, 3 rows",
        rows={f"pos_transactions_{STAMP}.csv": 3},
        encodings={f"pos_transactions_{STAMP}.csv": "utf-8"},
    ),
    Case(
        "csv-utf8-bom",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": codecs.BOM_UTF8 + ACCENTED.encode()},
        "read, BOM stripped (the first column is transaction_id, not \\ufefftransaction_id)",
        rows={f"pos_transactions_{STAMP}.csv": 2},
        encodings={f"pos_transactions_{STAMP}.csv": "utf-8-sig"},
        values={"transaction_id": "T000001", "customer_id": "Müller – Zoë"},
    ),
    Case(
        "csv-utf16le-bom",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": codecs.BOM_UTF16_LE + ACCENTED.encode("utf-16-le")},
        "read, decoded from UTF-16 LE",
        rows={f"pos_transactions_{STAMP}.csv": 2},
        encodings={f"pos_transactions_{STAMP}.csv": "utf-16-le"},
        values={"transaction_id": "T000001", "customer_id": "Müller – Zoë"},
    ),
    Case(
        "jsonl-utf16be-bom",
        "customers",
        {f"customers_{STAMP}.jsonl": codecs.BOM_UTF16_BE + customers_jsonl(4).decode().encode("utf-16-be")},
        "read, decoded from UTF-16 BE",
        rows={f"customers_{STAMP}.jsonl": 4},
        encodings={f"customers_{STAMP}.jsonl": "utf-16-be"},
        values={"first_name": "Zoë"},
    ),
    Case(
        "csv-cp1252",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": ACCENTED.encode("cp1252")},
        "read, decoded as Windows-1252 and reported (encoding cp1252, a warning in the log)",
        rows={f"pos_transactions_{STAMP}.csv": 2},
        encodings={f"pos_transactions_{STAMP}.csv": "cp1252"},
        values={"customer_id": "Müller – Zoë"},
    ),
    Case(
        "csv-gzip",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv.gz": gzip.compress(pos_csv(5).encode(), mtime=0)},
        "read, gzip decompressed",
        rows={f"pos_transactions_{STAMP}.csv.gz": 5},
        encodings={f"pos_transactions_{STAMP}.csv.gz": "utf-8"},
    ),
    Case(
        "csv-gzip-under-a-csv-name",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": gzip.compress(pos_csv(2).encode(), mtime=0)},
        "read: the magic bytes 1f 8b decide, not the name",
        rows={f"pos_transactions_{STAMP}.csv": 2},
    ),
    Case(
        "csv-gzip-truncated",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv.gz": gzip.compress(pos_csv(50).encode(), mtime=0)[:60]},
        "bronze fails: the file is gzip-compressed but truncated",
        error=("gzip-compressed", "truncated"),
    ),
    Case(
        "csv-utf16-without-bom",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": pos_csv(2).encode("utf-16-le")},
        "bronze fails naming the encoding (UTF-16-LE without a byte-order mark)",
        error=("UTF-16-LE", "without a byte-order mark"),
    ),
    Case(
        "csv-mixed-utf8-and-cp1252",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": pos_csv(2, customer="Zoë").encode() + "T9,S1,R1,Müller\n".encode("cp1252")},
        "bronze fails: two encodings in one file, the first bad byte's offset and line 4",
        error=("mixes two encodings", "line 4", "byte offset"),
    ),
    Case(
        "csv-shift-jis",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": pos_csv(2, customer="東京都渋谷区").encode("shift_jis")},
        "bronze fails: not UTF-8 and not Windows-1252, at line 2",
        error=("not valid UTF-8", "not Windows-1252", "line 2"),
    ),
    Case(
        "binary-file",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": bytes(range(256)) * 8},
        "bronze fails: a binary file (NUL byte at offset 0, line 1)",
        error=("binary file", "byte offset 0", "line 1"),
    ),
    Case(
        "zip-archive",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": b"PK\x03\x04" + bytes(60)},
        "bronze fails: a zip archive, unzip it",
        error=("zip archive",),
    ),
    # --- CSV structure ----------------------------------------------------------------------------
    Case(
        "csv-ragged-row",
        "pos_transactions",
        {
            f"pos_transactions_{STAMP}.csv": (
                pos_csv(2) + "T9,S001,R1,C1,2026-11-05T10:00:00Z,EUR,card,12,50,x\n"
            ).encode()
        },
        "bronze fails at line 4: 10 fields where the header has 9 (no Polars option named)",
        error=("line 4", "10 fields", "header has 9"),
    ),
    Case(
        "csv-short-row",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": (pos_csv(2) + "T9,S001,R1,C1,2026-11-05T10:00:00Z,EUR,card\n").encode()},
        "bronze fails at line 4: 7 fields where the header has 9 (Polars would pad the row with nulls)",
        error=("line 4", "7 fields", "header has 9"),
    ),
    Case(
        "csv-ragged-after-a-quoted-newline",
        "pos_transactions",
        {
            f"pos_transactions_{STAMP}.csv": (
                POS_HEADER + '\nT1,S001,R1,"two\nlines",2026-11-05T10:00:00Z,EUR,card,1,x\nT2,S001,R1,C1,a,b,c,d,e,f\n'
            ).encode()
        },
        "bronze fails at line 4 (physical lines, the quoted newline counted)",
        error=("line 4", "10 fields"),
    ),
    Case(
        "csv-unclosed-quote",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": (pos_csv(1) + 'T2,S001,"R1,C1\nT3,S001,R1,C1\n').encode()},
        "bronze fails at line 3: a quoted value never closed",
        error=("line 3", "never closed"),
    ),
    Case(
        "csv-stray-quote",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": (pos_csv(1) + 'T2,S001,R1,C"1,x,EUR,card,1,x\n').encode()},
        "bronze fails at line 3: a quote inside an unquoted value",
        error=("line 3", "unquoted value"),
    ),
    Case(
        "csv-semicolon-separated",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": pos_csv(2).replace(",", ";").encode()},
        "bronze fails at line 1: semicolon-separated",
        error=("line 1", "semicolon-separated"),
    ),
    Case(
        "csv-repeated-header-column",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": pos_csv(2).replace("store_id,register_id", "store_id,store_id", 1).encode()},
        "bronze fails at line 1: the header repeats store_id",
        error=("line 1", "repeats", "'store_id'"),
    ),
    Case(
        "csv-header-only",
        "pos_transactions",
        {f"pos_transactions_{STAMP}.csv": (POS_HEADER + "\n").encode()},
        "read, 0 rows, reported in empty_files (header only)",
        rows={f"pos_transactions_{STAMP}.csv": 0},
        empty=(f"pos_transactions_{STAMP}.csv",),
    ),
    Case(
        "csv-empty-beside-a-good-file",
        "pos_transactions",
        {**GOOD_POS, "pos_transactions_late.csv": b""},
        "read: 3 rows from the good file; the 0-byte file reported in empty_files",
        rows={f"pos_transactions_{STAMP}.csv": 3, "pos_transactions_late.csv": 0},
        empty=("pos_transactions_late.csv",),
    ),
    # --- JSON Lines -------------------------------------------------------------------------------
    Case(
        "jsonl-malformed-line-10",
        "customers",
        {f"customers_{STAMP}.jsonl": customers_jsonl(9) + b'{"customer_id": "C10", "first_name": "A",, }\n'},
        "bronze fails at line 10 (Polars would say line 1)",
        error=("line 10", "not a valid JSON object"),
    ),
    Case(
        "jsonl-cut-off-last-line",
        "customers",
        {f"customers_{STAMP}.jsonl": customers_jsonl(2) + b'{"customer_id": "C3", "first_na'},
        "bronze fails at line 3: the last line is cut off",
        error=("line 3", "cut off"),
    ),
    Case(
        "jsonl-file-holding-a-json-array",
        "customers",
        {f"customers_{STAMP}.jsonl": json.dumps([customer(1), customer(2)], indent=1).encode()},
        "bronze fails at line 1: a JSON array where JSON Lines are expected",
        error=("line 1", "JSON array", "JSON Lines"),
    ),
    Case(
        "jsonl-nan-constant",
        "customers",
        {f"customers_{STAMP}.jsonl": customers_jsonl(1) + b'{"customer_id": "C2", "loyalty_points": NaN}\n'},
        "bronze fails at line 2: NaN is not JSON",
        error=("line 2", "NaN"),
    ),
    Case(
        "jsonl-crlf-and-blank-lines",
        "customers",
        {f"customers_{STAMP}.jsonl": customers_jsonl(3).replace(b"\n", b"\r\n\r\n")},
        "read: 3 rows, blank lines are not rows",
        rows={f"customers_{STAMP}.jsonl": 3},
    ),
    # --- JSON documents ---------------------------------------------------------------------------
    Case(
        "json-object-not-array",
        "stores",
        {f"stores_{STAMP}.json": json.dumps({"stores": [store(1), store(2)]}).encode()},
        "bronze fails: a JSON object, not an array of objects; names the key holding the list",
        error=("line 1", "expected an array of objects", "'stores'"),
    ),
    Case(
        "json-array-with-a-scalar",
        "stores",
        {f"stores_{STAMP}.json": b"[\n" + json.dumps(store(1)).encode() + b",\n 42\n]"},
        "bronze fails at line 3: element 2 is a number",
        error=("line 3", "element 2", "a number"),
    ),
    Case(
        "json-file-holding-json-lines",
        "stores",
        {f"stores_{STAMP}.json": b"\n".join(json.dumps(store(n)).encode() for n in (1, 2))},
        "bronze fails at line 2: the file looks like JSON Lines",
        error=("line 2", "looks like JSON Lines"),
    ),
    Case(
        "json-syntax-error",
        "stores",
        {f"stores_{STAMP}.json": b'[\n{"store_id": "S001"},\n{"store_id": }\n]'},
        "bronze fails at line 3",
        error=("line 3", "not valid JSON"),
    ),
    Case(
        "json-nested-values",
        "stores",
        {f"stores_{STAMP}.json": json.dumps([{**store(1), "address": {"street": "Main"}}, store(2)]).encode()},
        "read: nested values kept as JSON text",
        rows={f"stores_{STAMP}.json": 2},
        values={"address": '{"street": "Main"}'},
    ),
    Case(
        "json-empty-array",
        "stores",
        {f"stores_{STAMP}.json": b"[]"},
        "read, 0 rows, reported in empty_files (an empty JSON array)",
        rows={f"stores_{STAMP}.json": 0},
        empty=(f"stores_{STAMP}.json",),
    ),
    # --- what is read at all ----------------------------------------------------------------------
    Case(
        "hidden-partial-upload",
        "pos_transactions",
        {**GOOD_POS, f"._pos_transactions_{STAMP}.csv.tmp": b"T1,S0"},
        "the half upload is skipped and reported (hidden or temporary); the good file read",
        rows={f"pos_transactions_{STAMP}.csv": 3},
        skipped={f"._pos_transactions_{STAMP}.csv.tmp": "hidden or temporary"},
    ),
    Case(
        "underscore-marker-file",
        "pos_transactions",
        {**GOOD_POS, "_SUCCESS": b""},
        "_SUCCESS is skipped and reported",
        rows={f"pos_transactions_{STAMP}.csv": 3},
        skipped={"_SUCCESS": "hidden or temporary"},
    ),
    Case(
        "wrong-extension",
        "pos_transactions",
        {**GOOD_POS, f"pos_transactions_{STAMP}.txt": pos_csv(2).encode()},
        "the .txt file is skipped and reported (extension is not the table's format)",
        rows={f"pos_transactions_{STAMP}.csv": 3},
        skipped={f"pos_transactions_{STAMP}.txt": "extension .txt"},
    ),
    Case(
        "nested-folder",
        "pos_transactions",
        {**GOOD_POS, f"retry/pos_transactions_{STAMP}.csv": pos_csv(1).encode()},
        "the subfolder is skipped and reported (bronze reads only the partition folder's own files)",
        rows={f"pos_transactions_{STAMP}.csv": 3},
        skipped={"retry": "a folder"},
    ),
    Case(
        "only-skipped-files",
        "pos_transactions",
        {f".pos_transactions_{STAMP}.csv.partial": pos_csv(2).encode()},
        "bronze fails: no file it can read, the skipped file and its reason named",
        error=("No landing files for pos_transactions on 2026-11-05 that bronze can read", "hidden or temporary"),
    ),
    Case(
        "late-file-without-a-date",
        "pos_transactions",
        {**GOOD_POS, "pos_transactions_late.csv": pos_csv(2, start=100).encode()},
        "both read as this day's rows (a name without a date is this day's)",
        rows={f"pos_transactions_{STAMP}.csv": 3, "pos_transactions_late.csv": 2},
    ),
    Case(
        "export-of-another-day",
        "pos_transactions",
        {**GOOD_POS, "pos_transactions_20261104.csv": pos_csv(3).encode()},
        "bronze fails: 2026-11-04's export in dt=2026-11-05, the move named",
        error=("pos_transactions_20261104.csv", "2026-11-04", "dt=2026-11-05", "move it to", "dt=2026-11-04/"),
    ),
    Case(
        "misnamed-partition-folder",
        "pos_transactions",
        GOOD_POS,
        "bronze fails: no files in dt=2026-11-05, and the folder dt=2026-11-5 is named as this day's",
        error=("No landing files for pos_transactions on 2026-11-05", "dt=2026-11-5", "rename it to dt=2026-11-05"),
        folder="dt=2026-11-5",
    ),
]


def land(lake, case: Case) -> str:
    spec = table_spec(case.table)
    directory = partition_dir("landing", case.table, DAY, source=spec.source)
    if case.folder:
        directory = f"{directory.rsplit('/', 1)[0]}/{case.folder}"
    for name, content in case.files.items():
        lake.write_bytes(f"{directory}/{name}", content)
    return directory


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.is_step_failure]
    assert failures, "expected the bronze step to fail"
    return failures[0].step_failure_data.error.message


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_landing_file(case: Case, lake, resources):
    run_case(case, lake, resources)


# The same cases through the S3 lake (moto's S3 server on loopback): what is listed, skipped and
# read does not depend on the store.
S3_CASES = [
    c for c in CASES if c.id in {"hidden-partial-upload", "nested-folder", "export-of-another-day", "csv-cp1252"}
]


@pytest.fixture(scope="module")
def s3_endpoint():
    import boto3

    from retail_platform_tests.cloud_servers import s3_server

    with s3_server() as endpoint:
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        ).create_bucket(Bucket="corpus")
        yield endpoint


@pytest.mark.parametrize("case", S3_CASES, ids=[c.id for c in S3_CASES])
def test_bad_landing_file_in_s3(case: Case, s3_endpoint, resources):
    from dagster_aws.s3 import S3Resource

    from retail_platform.lake.s3 import S3Lake

    s3 = S3Resource(
        endpoint_url=s3_endpoint, aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    lake = S3Lake(bucket="corpus", prefix=case.id, s3=s3)
    run_case(case, lake, {**resources, "lake": lake})


def run_case(case: Case, lake, resources) -> None:
    spec = table_spec(case.table)
    directory = land(lake, case)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        lake_assets,
        partition_key=DAY,
        resources=resources,
        instance=instance,
        selection=dg.AssetSelection.assets(["bronze", case.table]).without_checks(),
        raise_on_error=False,
    )
    if case.rows is None:
        message = failure_message(result)
        for words in (*case.error, DAY, REDO.format(table=case.table)):
            assert words in message, f"{words!r} not in: {message}"
        if not case.error[0].startswith("No landing files"):
            (name,) = [n for n in case.files if n in message] or [None]
            assert name is not None and lake.uri(f"{directory}/{name}") in message, message
        assert "truncate_ragged_lines" not in message and "infer_schema" not in message, message
        return

    assert result.success, failure_message(result)
    bronze = lake.read_parquet(partition_file("bronze", case.table, DAY))
    # No row lost: bronze holds exactly the data rows of every file read, per file.
    per_file = dict(bronze.group_by("_source_file").len().iter_rows())
    assert {k.rsplit("/", 1)[-1]: v for k, v in per_file.items()} == {n: r for n, r in case.rows.items() if r}
    assert bronze.height == sum(case.rows.values())
    for column, value in case.values.items():
        assert value in bronze[column].to_list(), (column, bronze[column].to_list())
    assert not any(c.startswith("\ufeff") for c in bronze.columns), bronze.columns

    (mat,) = result.asset_materializations_for_node(f"bronze__{spec.table}")
    meta = {k: v.value for k, v in mat.metadata.items()}
    assert meta["source_files"] == len(case.rows)
    assert meta["files_skipped"] == len(case.skipped)
    assert meta["files_empty"] == len(case.empty)
    for name, encoding in case.encodings.items():
        assert f"| {name} | {case.rows[name]} | {encoding} |" in meta["files"], meta["files"]
    for name, reason in case.skipped.items():
        assert f"| {name} | " in meta["skipped_files"] and reason in meta["skipped_files"], meta["skipped_files"]
    for name in case.empty:
        assert f"{name} (" in meta["empty_files"], meta["empty_files"]
    if not case.empty:
        assert meta["empty_files"] == "none"
    # The run log says it too: a warning per skipped file, per empty file, per file not in UTF-8.
    where = f"bronze/{case.table} {DAY}:"
    warnings = [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]
    warnings = [w for w in warnings if where in w]
    expected_warnings = [*case.skipped, *case.empty, *(n for n, enc in case.encodings.items() if enc == "cp1252")]
    for name in expected_warnings:
        assert any(name in w for w in warnings), (name, warnings)
    if not expected_warnings:
        assert not warnings, warnings


def test_the_corpus_covers_every_class_of_the_issue():
    ids = {c.id for c in CASES}
    assert len(CASES) >= 15 and len(ids) == len(CASES)
    read = [c for c in CASES if c.rows is not None]
    assert {e for c in read for e in c.encodings.values()} >= {"utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1252"}
    assert any(c.skipped for c in read) and any(c.empty for c in read) and any(c.rows is None for c in CASES)


# --- the landing sensor reports folders bronze never reads ---------------------------------------------


def tick(lake, cursor: str | None) -> tuple[dg.SensorResult, list[str]]:
    from datetime import date

    sensor = landing_sensor(today=lambda: date(2026, 11, 8))
    context = dg.build_sensor_context(
        cursor=cursor,
        instance=dg.DagsterInstance.ephemeral(),
        resources={"lake": lake, "automation": AutomationSettings()},
    )
    warned: list[str] = []
    context.log.warning = warned.append  # what the tick's log receives
    return sensor(context), warned


def test_the_landing_sensor_reports_each_malformed_folder_once(lake):
    spec = table_spec("pos_transactions")
    table_dir = partition_dir("landing", spec.table, DAY, source=spec.source).rsplit("/", 1)[0]
    for folder in ("dt=2026-11-5", "date=2026-11-05", "dt=2026-02-30"):
        lake.write_bytes(f"{table_dir}/{folder}/pos_transactions.csv", pos_csv(1).encode())
    lake.write_bytes(f"landing/{spec.source}/pos_transaction/dt={DAY}/x.csv", b"a\n")  # a misspelt table
    lake.write_bytes(f"{table_dir}/pos_transactions_20261104.csv", b"a\n")  # outside any dt= folder
    lake.write_bytes(f"{table_dir}/dt={DAY}/pos_transactions_{STAMP}.csv", pos_csv(1).encode())

    first, warned = tick(lake, None)
    assert [r.partition_key for r in first.run_requests] == [DAY]  # the good folder still runs
    assert len(warned) == 5, warned
    assert any("pos_transactions_20261104.csv" in w and "outside any dt=" in w for w in warned), warned
    assert any("dt=2026-11-5" in w and "rename it to dt=2026-11-05" in w for w in warned), warned
    assert any("date=2026-11-05" in w and "rename it to dt=2026-11-05" in w for w in warned), warned
    assert any("dt=2026-02-30" in w and "not a calendar date" in w for w in warned), warned
    assert any("/pos_transaction " in w and "not a table of source pos" in w for w in warned), warned

    # The next tick: the same folders, no second warning.
    second, warned = tick(lake, first.cursor)
    assert warned == [] and not second.run_requests
    # A new malformed folder: warned about, alone, and named in the skip reason.
    lake.write_bytes(f"{table_dir}/dt=2026-11-06T00/x.csv", b"a\n")
    third, warned = tick(lake, second.cursor)
    assert len(warned) == 1 and "dt=2026-11-06T00" in warned[0], warned
    reason = third.skip_reason.skip_message
    assert "dt=2026-11-06T00" in reason and "never read" in reason
    # Fixed (removed), then back: reported again.
    import shutil
    from pathlib import Path

    shutil.rmtree(Path(lake.root) / table_dir / "dt=2026-02-30")
    fourth, warned = tick(lake, third.cursor)
    assert warned == []
    lake.write_bytes(f"{table_dir}/dt=2026-02-30/x.csv", b"a\n")
    _, warned = tick(lake, fourth.cursor)
    assert len(warned) == 1 and "dt=2026-02-30" in warned[0], warned


# --- the naming rules, directly ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "dates"),
    [
        ("pos_transactions_20261105.csv", ["2026-11-05"]),
        ("orders_2026-11-04.jsonl", ["2026-11-04"]),
        ("orders_202611041230.jsonl", ["2026-11-04"]),  # a timestamp: its date counts
        ("pos_transactions_late.csv", []),
        ("stores_12345678.json", []),  # a batch number, not a date
        ("stores_20261332.json", []),  # not a calendar date
    ],
)
def test_dates_in_file_names(name, dates):
    from retail_platform.transforms.bronze import name_dates

    assert [d.isoformat() for d in name_dates(name)] == dates


@pytest.mark.parametrize(
    ("folder", "problem"),
    [
        ("dt=2026-03-02", None),
        ("dt=2026-3-2", "rename it to dt=2026-03-02"),
        ("date=2026-03-02", "rename it to dt=2026-03-02"),
        ("dt=20260302", "rename it to dt=2026-03-02"),
        ("dt=2026-02-30", "not a calendar date"),
        ("backup", "not a dt=YYYY-MM-DD partition folder"),
    ],
)
def test_partition_folder_names(folder, problem):
    from retail_platform.transforms.bronze import partition_folder_problem

    found = partition_folder_problem(folder)
    assert found is None if problem is None else problem in found
