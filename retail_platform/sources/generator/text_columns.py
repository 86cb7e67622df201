"""Text columns as numpy byte matrices: building and combining them, and rendering typed values into them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import polars as pl

from .calendar import DAY_SECONDS, EPOCH, EPOCH_SECONDS

_U8 = np.uint8
_QUOTE, _BACKSLASH, _COMMA, _NEWLINE, _RETURN = 34, 92, 44, 10, 13
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


# ---------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------


def _capacity(width: int) -> int:
    """Widths are rounded up to whole 8-byte words: rows are copied and gathered as uint64s."""
    return -(-width // 8) * 8


def _words(data: np.ndarray) -> np.ndarray:
    return data.view(np.uint64)


@dataclass(frozen=True)
class TextColumn:
    """One value per row as UTF-8 bytes in an ``(n, width)`` ``uint8`` matrix, with a length and a null flag per row.

    Rendering (ids, timestamps, money), injecting defects (a few rows replaced) and re-ordering rows
    (gathers) are whole-column numpy operations: no per-row Python except for the few damaged rows.
    The text is byte for byte what polars wrote before (``strftime``, ``str.zfill``).
    """

    data: np.ndarray  # (n, width) uint8, width a multiple of 8; bytes outside a row's value are garbage
    length: np.ndarray  # (n,) int64
    null: np.ndarray  # (n,) bool
    # No value holds '"', '\\', ',', a line break, or is the empty string: nothing to quote or
    # escape. Set by the renderers; values of unknown content are checked when written.
    plain: bool = False
    right: bool = False  # values end at the last byte (numbers) instead of starting at the first
    numeric: bool = False  # every value is the text of a number (written bare in JSON)

    def __len__(self) -> int:
        return len(self.length)

    @property
    def width(self) -> int:
        return self.data.shape[1]

    def take(self, rows: np.ndarray) -> TextColumn:
        rows = np.asarray(rows, dtype=np.int64)
        data = np.take(_words(self.data), rows, axis=0).view(_U8)
        return TextColumn(data, self.length[rows], self.null[rows], self.plain, self.right, self.numeric)

    def values(self, rows: np.ndarray | None = None) -> list[str | None]:
        """The values of ``rows`` (all by default) as Python strings (for a few rows only)."""
        rows = np.arange(len(self)) if rows is None else np.asarray(rows, dtype=np.int64)
        data, length, null = self.data[rows], self.length[rows].tolist(), self.null[rows].tolist()
        width = self.width
        out: list[str | None] = []
        for d, k, n in zip(data, length, null, strict=True):
            out.append(None if n else (bytes(d[width - k :]) if self.right else bytes(d[:k])).decode("utf-8"))
        return out

    def where(self, keep: np.ndarray) -> TextColumn:
        """Null where ``keep`` is False."""
        return TextColumn(
            self.data, np.where(keep, self.length, 0), self.null | ~keep, self.plain, self.right, self.numeric
        )

    def with_width(self, width: int) -> TextColumn:
        width = _capacity(width)
        if width <= self.width:
            return self
        data = np.zeros((len(self), width), dtype=_U8)
        if self.right:
            data[:, width - self.width :] = self.data
        else:
            data[:, : self.width] = self.data
        return TextColumn(data, self.length, self.null, self.plain, self.right, self.numeric)

    def aligned(self, right: bool) -> TextColumn:
        """The same values, starting at the first byte (``right=False``) or ending at the last."""
        if right == self.right:
            return self
        width = self.width
        data = np.zeros_like(self.data)
        shift = width - self.length
        for s in np.flatnonzero(np.bincount(shift, minlength=1)):
            rows = np.flatnonzero(shift == s)
            if right:
                data[rows, s:] = self.data[rows, : width - s]
            else:
                data[rows, : width - s] = self.data[rows, s:]
        return TextColumn(data, self.length, self.null, self.plain, right, self.numeric)

    def fixed_length(self) -> int | None:
        """The length of every row, if all rows have the same (and none is null)."""
        if len(self) == 0:
            return 0
        first = int(self.length[0])
        return first if not self.null.any() and (self.length == first).all() else None

    def valid_bytes(self) -> np.ndarray:
        """(n, width) bool: which bytes belong to the row's value."""
        position = np.arange(self.width)
        if self.right:
            return position >= (self.width - self.length)[:, None]
        return position < self.length[:, None]


def _no_nulls(n: int) -> np.ndarray:
    return np.zeros(n, dtype=bool)


def fixed(data: np.ndarray, plain: bool = True, numeric: bool = False) -> TextColumn:
    """Every row exactly ``data.shape[1]`` bytes long."""
    n, width = data.shape
    padded = np.zeros((n, _capacity(width)), dtype=_U8)
    padded[:, :width] = data
    return TextColumn(padded, np.full(n, width, dtype=np.int64), _no_nulls(n), plain, False, numeric)


def _is_plain(value: str) -> bool:
    return value != "" and not any(c in value for c in '"\\,\n\r')


def encode(values: Sequence[str | None], right: bool = False, width: int = 0) -> TextColumn:
    """A column from Python strings (None = null)."""
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    width = _capacity(max(width, max((len(b) for b in encoded), default=0)))
    n = len(encoded)
    pad = bytes.rjust if right else bytes.ljust
    data = np.frombuffer(b"".join(pad(b, width, b"\0") for b in encoded), dtype=_U8).reshape(n, width)
    null = np.array([v is None for v in values], dtype=bool).reshape(n)
    length = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=n)
    numeric = all(v is None or _NUMBER.match(v) for v in values)
    plain = all(v is None or _is_plain(v) for v in values)
    return TextColumn(data.copy(), length, null, plain, right, numeric)


@lru_cache(maxsize=256)
def _options_table(options: tuple[str, ...]) -> TextColumn:
    return encode(options)


def lookup(options: Sequence[str], index: np.ndarray) -> TextColumn:
    """``options[index]`` per row."""
    return _options_table(tuple(options)).take(np.asarray(index, dtype=np.int64))


def from_series(series: pl.Series) -> TextColumn:
    """A polars String series as a column (the tables still built with polars expressions)."""
    arrow = series.cast(pl.String).to_arrow().cast("large_string")
    n = len(arrow)
    _, offsets_buffer, data_buffer = arrow.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[arrow.offset : arrow.offset + n + 1]
    raw = np.frombuffer(data_buffer, dtype=_U8) if data_buffer is not None else np.zeros(0, dtype=_U8)
    length = np.diff(offsets)
    null = series.is_null().to_numpy()
    width = _capacity(int(length.max()) if n else 0)
    data = np.zeros((n, width), dtype=_U8)
    if width and len(raw):
        # a block of rows at a time: the byte positions take 8 bytes per byte of the block
        step = max(1, (1 << 22) // width)
        for first in range(0, n, step):
            positions = np.minimum(offsets[first : min(first + step, n), None] + np.arange(width), len(raw) - 1)
            data[first : first + step] = np.take(raw, positions)
    column = TextColumn(data, np.where(null, 0, length), null)
    return TextColumn(column.data, column.length, column.null, _scan_plain(column))


def _special_rows(column: TextColumn, special: tuple[int, ...]) -> np.ndarray:
    """Rows whose value holds one of the ``special`` bytes."""
    hit = np.zeros(column.data.shape, dtype=bool)
    for byte in special:
        hit |= column.data == byte
    return (hit & column.valid_bytes()).any(axis=1)


def _scan_plain(column: TextColumn) -> bool:
    empty = (column.length == 0) & ~column.null
    return not (empty.any() or _special_rows(column, (_QUOTE, _BACKSLASH, _COMMA, _NEWLINE, _RETURN)).any())


def set_rows(column: TextColumn, rows: np.ndarray, values: Sequence[str | None] | str | None) -> TextColumn:
    """A copy with ``rows`` set to ``values`` (one value for all rows, or one per row; None = null)."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        return column
    if isinstance(values, str) or values is None:
        new = encode([values], right=column.right, width=column.width)
        new = TextColumn(
            np.broadcast_to(new.data, (len(rows), new.width)),
            np.repeat(new.length, len(rows)),
            np.repeat(new.null, len(rows)),
            new.plain,
            new.right,
            new.numeric,
        )
    else:
        new = encode(values, right=column.right, width=column.width)
    widened = column.with_width(new.width)
    data, length, null = widened.data.copy(), widened.length.copy(), widened.null.copy()
    data[rows] = new.data
    length[rows] = new.length
    null[rows] = new.null
    return TextColumn(data, length, null, column.plain and new.plain, column.right, column.numeric and new.numeric)


def concat_rows(columns: Sequence[TextColumn]) -> TextColumn:
    """The rows of ``columns`` one after the other."""
    right = columns[0].right
    width = max(c.width for c in columns)
    columns = [c.aligned(right).with_width(width) for c in columns]
    return TextColumn(
        np.concatenate([c.data for c in columns]),
        np.concatenate([c.length for c in columns]),
        np.concatenate([c.null for c in columns]),
        all(c.plain for c in columns),
        right,
        all(c.numeric for c in columns),
    )


def _value_bytes(column: TextColumn, length: int) -> np.ndarray:
    """The (n, length) bytes of a column whose rows are all ``length`` long."""
    return column.data[:, column.width - length :] if column.right else column.data[:, :length]


def join(*parts: TextColumn | str) -> TextColumn:
    """Per row, the parts one after the other (a ``str`` part is the same text on every row).

    Nulls count as empty: callers null the result themselves where they need to. Fast when every
    part but the last has the same length on every row (ids, codes); otherwise part by part.
    """
    n = len(next(p for p in parts if isinstance(p, TextColumn)))
    pieces = [encode([p]).take(np.zeros(n, dtype=np.int64)) if isinstance(p, str) else p for p in parts]
    lengths = [p.fixed_length() for p in pieces]
    head_width = sum(lengths[:-1]) if all(k is not None for k in lengths[:-1]) else None
    last = pieces[-1]
    if head_width is not None:
        if lengths[-1] is None:
            last = last.aligned(right=False)
            tail, tail_width = last.data, last.width
        else:
            tail, tail_width = _value_bytes(last, lengths[-1]), lengths[-1]
        data = np.zeros((n, _capacity(head_width + tail_width)), dtype=_U8)
        offset = 0
        for piece, k in zip(pieces[:-1], lengths[:-1], strict=True):
            data[:, offset : offset + k] = _value_bytes(piece, k)
            offset += k
        data[:, offset : offset + tail_width] = tail
        length = head_width + last.length
        plain = all(p.plain for p in pieces)
        return TextColumn(data, length, _no_nulls(n), plain)
    # general case: place each part row group by row group (groups of equal offset)
    pieces = [p.aligned(right=False) for p in pieces]
    data = np.zeros((n, _capacity(sum(p.width for p in pieces))), dtype=_U8)
    offset = np.zeros(n, dtype=np.int64)
    for piece in pieces:
        for o in np.flatnonzero(np.bincount(offset)):
            rows = np.flatnonzero(offset == o)
            data[rows, o : o + piece.width] = piece.data[rows]
        offset = offset + piece.length
    return TextColumn(data, offset, _no_nulls(n), all(p.plain for p in pieces))


# ---------------------------------------------------------------------------------------------
# Rendering typed values (the formats of :mod:`.render`)
# ---------------------------------------------------------------------------------------------

_POWERS = 10 ** np.arange(19, dtype=np.int64)
_FOUR_DIGITS = np.frombuffer("".join(f"{i:04d}" for i in range(10_000)).encode(), dtype=np.uint32)


def _digit_count(values: np.ndarray) -> np.ndarray:
    """Digits of non-negative integers (0 has one)."""
    return np.maximum(np.searchsorted(_POWERS, values, side="right"), 1)


def _numbers(magnitude: np.ndarray, digits: np.ndarray, negative: np.ndarray, suffix_width: int = 0) -> TextColumn:
    """Right-aligned ``[-]`` and ``digits`` zero-padded digits per row, then ``suffix_width`` bytes the caller sets."""
    n = len(magnitude)
    widest = int(digits.max()) if n else 1
    capacity = _capacity(widest + 1 + suffix_width)
    groups = -(-widest // 4)
    words = np.empty((n, groups), dtype=np.uint32)
    rest = magnitude
    for g in range(groups - 1, -1, -1):
        rest, group = np.divmod(rest, 10_000)
        words[:, g] = _FOUR_DIGITS[group]
    data = np.zeros((n, capacity), dtype=_U8)
    end = capacity - suffix_width
    data[:, end - widest : end] = words.view(_U8)[:, groups * 4 - widest :]
    length = (digits + negative + suffix_width).astype(np.int64)
    if negative.any():
        rows = np.flatnonzero(negative)
        data[rows, capacity - length[rows]] = ord("-")
    return TextColumn(data, length, _no_nulls(n), plain=True, right=True, numeric=True)


def zfill(values: np.ndarray, width: int) -> TextColumn:
    """Non-negative integers as text, zero-padded to at least ``width`` (``str.zfill``)."""
    values = np.asarray(values, dtype=np.int64)
    digits = np.maximum(_digit_count(values), width)
    return _numbers(values, digits, np.zeros(len(values), dtype=np.int64))


def integer(values: np.ndarray) -> TextColumn:
    """Integers as text (``cast(pl.String)``)."""
    values = np.asarray(values, dtype=np.int64)
    magnitude = np.abs(values)
    return _numbers(magnitude, _digit_count(magnitude), (values < 0).astype(np.int64))


def money(cents: np.ndarray) -> TextColumn:
    """``12.50``, ``-0.05`` (:func:`.render.money_expr`)."""
    cents = np.asarray(cents, dtype=np.int64)
    magnitude = np.abs(cents)
    units = magnitude // 100
    column = _numbers(units, _digit_count(units), (cents < 0).astype(np.int64), suffix_width=3)
    data, width = column.data, column.width
    data[:, width - 3] = ord(".")
    data[:, width - 2 :] = _FOUR_DIGITS[magnitude % 100].view(_U8).reshape(len(cents), 4)[:, 2:]
    return column


@lru_cache(maxsize=1)
def _clock_table() -> np.ndarray:
    """``HH:MM:SS`` of every second of a day, 8 bytes each (as uint64 for one gather per row)."""
    text = "".join(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY_SECONDS))
    return np.frombuffer(text.encode(), dtype=np.uint64)


@lru_cache(maxsize=64)
def _day_table(first: int, last: int, pattern: str) -> np.ndarray:
    days = [EPOCH + timedelta(days=d) for d in range(first, last + 1)]
    text = "".join(date.strftime(day, pattern) for day in days)
    return np.frombuffer(text.encode(), dtype=_U8).reshape(len(days), -1)


def _day_text(day_number: np.ndarray, pattern: str) -> np.ndarray:
    if len(day_number) == 0:
        return np.zeros((0, len(date.strftime(EPOCH, pattern))), dtype=_U8)
    # tables per 64-day block, so most calls reuse a cached one
    first, last = int(day_number.min()) // 64 * 64, int(day_number.max()) // 64 * 64 + 63
    return _day_table(first, last, pattern)[day_number - first]


def timestamp(unix_seconds: np.ndarray) -> TextColumn:
    """``2026-11-01T10:15:03Z`` (UTC)."""
    unix_seconds = np.asarray(unix_seconds, dtype=np.int64)
    n = len(unix_seconds)
    day_number, second = np.divmod(unix_seconds - EPOCH_SECONDS, DAY_SECONDS)
    data = np.empty((n, 24), dtype=_U8)
    data[:, :10] = _day_text(day_number, "%Y-%m-%d")
    data[:, 10] = ord("T")
    data[:, 11:19] = _clock_table()[second].view(_U8).reshape(n, 8)
    data[:, 19] = ord("Z")
    return TextColumn(data, np.full(n, 20, dtype=np.int64), _no_nulls(n), True)


def compact_day_text(day_number: np.ndarray) -> TextColumn:
    """``20261101``: the date inside transaction, order, session and ticket ids."""
    return fixed(_day_text(np.asarray(day_number, dtype=np.int64), "%Y%m%d"))


def entity_id(index: np.ndarray, prefix: str, width: int) -> TextColumn:
    """``P00042`` for index 41; null for a negative index (no entity)."""
    index = np.asarray(index, dtype=np.int64)
    known = index >= 0
    column = join(prefix, zfill(np.where(known, index + 1, 0), width))
    return column.where(known) if not known.all() else column


def boolean(values: np.ndarray) -> TextColumn:
    return lookup(("false", "true"), np.asarray(values, dtype=np.int64))


def digits_value(column: TextColumn, start: int = 0) -> np.ndarray:
    """The integer written from byte ``start`` of each (clean) value to its end."""
    column = column.aligned(right=True)
    digits = column.length - start
    value = np.zeros(len(column), dtype=np.int64)
    width = column.width
    for j in range(width - int(digits.max()) if len(column) else width, width):
        inside = j >= width - digits
        value = np.where(inside, value * 10 + (column.data[:, j].astype(np.int64) - 48), value)
    return value
