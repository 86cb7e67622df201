"""Raw file -> bronze frame: every column as text, plus lineage. Nothing is dropped.

What bronze accepts at the file level (README "Sources"): UTF-8 text, with or without a BOM;
UTF-16/UTF-32 with a BOM (decoded); gzip-compressed files (decompressed); Windows-1252 / Latin-1
text (decoded, and the file's ``encoding`` says so). It refuses, naming the file, the byte offset
and the line: binary files, archives, UTF-16 without a BOM, text mixing UTF-8 with another
encoding, and syntax errors (a JSON line, a CSV row with more or fewer fields than its header, an unclosed
quote). Names decide what is read at all: hidden/temporary files and other formats are skipped
(and reported), a name dated another day than its ``dt=`` folder is refused.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from retail_platform.transforms.encodings import MalformedFileError, decode_text

LINEAGE_COLUMNS = ("_source_file", "_row_number", "_ingested_at")


# --- which files of a partition folder are read ---------------------------------------------------


@dataclass(frozen=True)
class Skip:
    """Why a file in a landing folder is not read, and what to do about it."""

    reason: str
    action: str


def skip_reason(name: str, file_format: str) -> Skip | None:
    """None when a landing file named ``name`` is read for a table exported as ``file_format``."""
    if name.startswith((".", "_")):
        # A half-uploaded `._x.tmp` must never be read; a finished file named so is the sender's slip.
        return Skip(
            "hidden or temporary file (the name starts with '.' or '_'): an upload in progress or a tool's marker",
            "nothing, if it is an upload in progress; if it is a finished export, rename it without the "
            "leading '.' or '_'",
        )
    lowered = name.lower()
    if lowered.endswith((f".{file_format}", f".{file_format}.gz")):
        return None
    extension = lowered[lowered.index(".", 1) :] if "." in lowered[1:] else "none"
    return Skip(
        f"extension {extension} is not the table's format (.{file_format}, or .{file_format}.gz)",
        f"if it is this table's export, re-export or rename it as .{file_format}; otherwise move it out of the folder",
    )


_DASHED_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
# YYYYMMDD, alone or as the head of a YYYYMMDDhhmm[ss] timestamp.
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?:\d{4}|\d{6})?(?!\d)")


def name_dates(name: str) -> list[date]:
    """The business dates a file name carries (``pos_transactions_20261105.csv`` -> 2026-11-05).

    Only plausible calendar dates count, so an 8-digit batch number is not taken for a date."""
    found: list[date] = []
    for pattern in (_DASHED_DATE, _COMPACT_DATE):
        for match in pattern.finditer(name):
            year, month, day = (int(g) for g in match.groups())
            if 1970 <= year <= 2199:
                try:
                    found.append(date(year, month, day))
                except ValueError:
                    continue
    return found


def misdated(name: str, day: date) -> list[date]:
    """The dates in ``name`` when none of them is ``day``: another day's export in this day's
    folder. Empty for a name without a date (a late file, ``pos_transactions_late.csv``)."""
    dates = name_dates(name)
    return [] if not dates or day in dates else dates


_PARTITION_FOLDER = re.compile(r"dt=(\d{4})-(\d{2})-(\d{2})")
_LOOSE_DATE = re.compile(r"(\d{4})\D?(\d{1,2})\D?(\d{1,2})")


def partition_folder_problem(name: str) -> str | None:
    """None for a well-formed ``dt=YYYY-MM-DD`` partition folder; otherwise what is wrong with it
    and, when a date can be read from it, the name it should have."""
    match = _PARTITION_FOLDER.fullmatch(name)
    if match:
        try:
            date(*(int(g) for g in match.groups()))
            return None
        except ValueError:
            return f"{name.removeprefix('dt=')} is not a calendar date"
    guess = loose_folder_day(name)
    hint = f": rename it to dt={guess.isoformat()}" if guess else ""
    return f"not a dt=YYYY-MM-DD partition folder{hint}"


def loose_folder_day(name: str) -> date | None:
    """The day a malformed partition folder most likely means (``date=2026-3-2`` -> 2026-03-02)."""
    value = name.split("=", 1)[-1]
    match = _LOOSE_DATE.fullmatch(value)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


# --- UTF-8 text -> frame of strings ------------------------------------------------------------------


@dataclass(frozen=True)
class RawFile:
    frame: pl.DataFrame
    encoding: str
    compression: str | None = None
    empty: str | None = None  # why the file holds no data rows ("0 bytes", "header only"); None if it has rows


def read_landing_file(content: bytes, file_format: str) -> RawFile:
    """Decode and parse one landing file; MalformedFileError says what is wrong and on which line."""
    decoded = decode_text(content)
    frame = parse_text(decoded.content, file_format)
    return RawFile(frame, decoded.encoding, decoded.compression, _empty_reason(decoded.content, frame, file_format))


def read_raw_text(content: bytes, file_format: str) -> pl.DataFrame:
    """Parse a landing file into a frame of String columns, keeping undeclared columns too."""
    return read_landing_file(content, file_format).frame


def _empty_reason(content: bytes, frame: pl.DataFrame, file_format: str) -> str | None:
    if frame.height:
        return None
    if not content:
        return "0 bytes"
    if not content.strip():
        return "only whitespace"
    if file_format == "csv":
        return "header only, no data rows"
    return "an empty JSON array" if file_format == "json" else "no records"


def parse_text(content: bytes, file_format: str) -> pl.DataFrame:
    """UTF-8 text -> a frame of String columns."""
    if not content.strip():
        return pl.DataFrame()
    if file_format == "csv":
        _check_csv_header(content)
        try:
            # Every value stays text; the silver layer decides what it means.
            frame = pl.read_csv(io.BytesIO(content), infer_schema=False)
        except pl.exceptions.PolarsError as exc:
            raise _csv_problem(content.decode()) or _parser_error(exc) from None
        # Polars pads a row with fewer fields than the header with nulls, without a word: such a
        # row ends in a null, so only a file with a null in its last column is read again to look.
        if frame.width and frame.get_column(frame.columns[-1]).null_count():
            problem = _csv_problem(content.decode(), short_rows=True)
            if problem is not None:
                raise problem
        return frame
    if file_format == "jsonl":
        columns = _jsonl_columns(content)
        return _read_ndjson(content, columns)
    if file_format == "json":
        records = _json_records(content.decode())
        columns: dict[str, None] = {}
        for _, record in records:
            columns.update(dict.fromkeys(record))
        # Re-serialised as lines: Polars' NDJSON reader keeps nested values as JSON text, its JSON
        # reader refuses them.
        lines = b"\n".join(json.dumps(record, ensure_ascii=False).encode() for _, record in records)
        return _read_ndjson(lines, list(columns))
    raise ValueError(f"unsupported file format {file_format!r}")


def _read_ndjson(content: bytes, columns: list[str]) -> pl.DataFrame:
    if not columns:
        return pl.DataFrame()
    try:
        return pl.read_ndjson(io.BytesIO(content), schema=dict.fromkeys(columns, pl.String))
    except pl.exceptions.PolarsError as exc:
        raise _parser_error(exc) from None


def _parser_error(exc: Exception) -> MalformedFileError:
    # Polars' first line only: its hints name reader options the user cannot set.
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return MalformedFileError(f"the file cannot be parsed ({first})")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _json_error(exc: json.JSONDecodeError, what: str) -> str:
    return f"{what}: {exc.msg} (column {exc.colno})"


def _jsonl_columns(content: bytes) -> list[str]:
    """The union of keys over the whole file, in first-seen order: a column that only appears
    late in the file (schema drift) must not be dropped by a sampled schema inference. Every line
    is parsed here, so an error names its real line (Polars counts in its own chunks)."""
    columns: dict[str, None] = {}
    for number, line in enumerate(io.BytesIO(content), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            reason = _json_error(exc, "not a valid JSON object")
            if not columns and line.lstrip().startswith(b"["):
                reason += " (the file is a JSON array, but this table is exported as JSON Lines)"
            elif not line.endswith(b"\n") and content.endswith(line):
                reason += " (the last line is cut off: an upload in progress or truncated?)"
            raise MalformedFileError(reason, line=number) from None
        except ValueError as exc:
            raise MalformedFileError(str(exc), line=number) from None
        if not isinstance(record, dict):
            hint = " (the file is a JSON array, but this table is exported as JSON Lines)" if number == 1 else ""
            raise MalformedFileError(
                f"expected one JSON object per line, found {_json_type(record)}{hint}", line=number
            )
        columns.update(dict.fromkeys(record))
    return list(columns)


def _json_records(text: str) -> list[tuple[int, dict]]:
    """The objects of a JSON array document (lines are looked for only when something is wrong)."""
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        document = None
    if isinstance(document, list) and all(isinstance(record, dict) for record in document):
        return [(0, record) for record in document]
    return _json_array_records(text)  # raises, naming the line


def _json_array_records(text: str) -> list[tuple[int, dict]]:
    """The objects of a JSON array document with the line each starts on."""
    decoder = json.JSONDecoder(parse_constant=_reject_constant)

    def line(position: int) -> int:
        return text.count("\n", 0, position) + 1

    position = len(text) - len(text.lstrip())
    if not text.startswith("[", position):
        try:
            document = decoder.decode(text)
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data":
                raise MalformedFileError(
                    "more than one JSON value: the file looks like JSON Lines (one object per line), "
                    "but this table is exported as one JSON array of objects",
                    line=exc.lineno,
                ) from None
            raise MalformedFileError(_json_error(exc, "not valid JSON"), line=exc.lineno) from None
        except ValueError as exc:
            raise MalformedFileError(str(exc)) from None
        hint = ""
        if isinstance(document, dict):
            lists = [k for k, v in document.items() if isinstance(v, list)]
            hint = f" (its key {lists[0]!r} holds a list: export that array itself)" if lists else ""
        raise MalformedFileError(
            f"the document is {_json_type(document)}, expected an array of objects{hint}", line=line(position)
        )
    records: list[tuple[int, dict]] = []
    position += 1
    try:
        while True:
            position = _skip_space(text, position)
            if text.startswith("]", position) and not records:
                position += 1
                break
            start = position
            value, position = decoder.raw_decode(text, position)
            if not isinstance(value, dict):
                raise MalformedFileError(
                    f"element {len(records) + 1} of the array is {_json_type(value)}, expected an object",
                    line=line(start),
                )
            records.append((line(start), value))
            position = _skip_space(text, position)
            if text.startswith(",", position):
                position += 1
            elif text.startswith("]", position):
                position += 1
                break
            else:
                raise MalformedFileError("expected ',' or ']' after an array element", line=line(position))
    except json.JSONDecodeError as exc:
        raise MalformedFileError(_json_error(exc, "not valid JSON"), line=exc.lineno) from None
    except ValueError as exc:
        if isinstance(exc, MalformedFileError):
            raise
        raise MalformedFileError(str(exc), line=line(position)) from None
    if text[position:].strip():
        raise MalformedFileError("more data after the closing ']' of the array", line=line(_skip_space(text, position)))
    return records


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _json_type(value: object) -> str:
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


_OTHER_SEPARATORS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def _check_csv_header(content: bytes) -> None:
    end = content.find(b"\n")
    header = content[: end if end >= 0 else len(content)].decode()
    if "," in header:
        names = next(csv.reader([header.rstrip("\r")]))
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            # Polars would rename the second one: which of the two is the real value is unknowable.
            raise MalformedFileError(f"the header repeats the column(s) {', '.join(map(repr, repeated))}", line=1)
        return
    for separator, name in _OTHER_SEPARATORS.items():
        if separator in header:
            raise MalformedFileError(
                f"the header has no comma but {header.count(separator)} {name}(s): the file looks "
                f"{name}-separated; CSV exports must be comma-separated",
                line=1,
            )


def _csv_problem(text: str, *, short_rows: bool = False) -> MalformedFileError | None:
    """The first row Polars could not split, found again with the csv module (which counts
    physical lines, quoted newlines included): more fields than the header, an unclosed quote,
    a stray quote; with ``short_rows``, also fewer fields than the header (a blank line is not a
    row: silver quarantines it as one with every value missing)."""
    consumed: list[str] = []

    def lines():
        for physical in io.StringIO(text, newline=""):
            consumed.append(physical)
            yield physical

    reader = csv.reader(lines(), strict=True)
    header: list[str] | None = None
    start = 1
    try:
        for row in reader:
            raw = "".join(consumed)
            consumed.clear()
            if header is None:
                header = row
            elif len(row) > len(header):
                return MalformedFileError(
                    f"this row has {len(row)} fields but the header has {len(header)} "
                    "(an unquoted comma in a value, or an extra column)",
                    line=start,
                )
            elif short_rows and 0 < len(row) < len(header):
                return MalformedFileError(
                    f"this row has {len(row)} fields but the header has {len(header)} "
                    "(a value or its comma missing: the row would be read with its last values empty)",
                    line=start,
                )
            for field in row:
                if '"' in field and f'"{field.replace(chr(34), chr(34) * 2)}"' not in raw:
                    return MalformedFileError(
                        "a '\"' inside an unquoted value: quote the value and double the '\"'", line=start
                    )
            start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            return MalformedFileError("a quoted value opened on this line is never closed", line=start)
        return MalformedFileError(
            f"bad quoting ({exc}): a quoted value must be followed by a comma or the end of the line", line=start
        )
    return None


# --- frame -> bronze ----------------------------------------------------------------------------------


def to_bronze(raw: pl.DataFrame, *, source_file: str, ingested_at: datetime) -> pl.DataFrame:
    """Add lineage columns: the file a row came from, its 1-based position, when the file landed."""
    return raw.select(
        pl.all().cast(pl.String),
        pl.lit(source_file, dtype=pl.String).alias("_source_file"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row_number"),
        pl.lit(ingested_at, dtype=pl.Datetime("us", "UTC")).alias("_ingested_at"),
    )


def concat_bronze(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Stack files whose columns may differ (schema drift): missing columns become null."""
    if not frames:
        return pl.DataFrame(
            schema={"_source_file": pl.String, "_row_number": pl.Int64, "_ingested_at": pl.Datetime("us", "UTC")}
        )
    return pl.concat(frames, how="diagonal_relaxed")
