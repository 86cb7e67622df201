"""Text frames (table chunks of text columns) and writing them as CSV / JSON lines, fast."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl

from .text_columns import (
    _BACKSLASH,
    _COMMA,
    _NEWLINE,
    _QUOTE,
    _RETURN,
    _U8,
    TextColumn,
    _capacity,
    _no_nulls,
    _special_rows,
    _words,
    concat_rows,
    from_series,
    set_rows,
)

_BLOCK_BYTES = 1 << 20  # rows assembled at a time: a block's bytes and mask stay in the CPU cache


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextFrame:
    """A table chunk: equally long text columns, in file order."""

    columns: dict[str, TextColumn]

    @property
    def height(self) -> int:
        return len(next(iter(self.columns.values())))

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def __getitem__(self, name: str) -> TextColumn:
        return self.columns[name]

    def take(self, rows: np.ndarray) -> TextFrame:
        rows = np.asarray(rows, dtype=np.int64)
        return TextFrame({name: c.take(rows) for name, c in self.columns.items()})

    def replace(self, **columns: TextColumn) -> TextFrame:
        return TextFrame({**self.columns, **columns})

    def insert(self, name: str, column: TextColumn, before: str | None) -> TextFrame:
        names = self.names
        at = names.index(before) if before in names else len(names)
        order = names[:at] + [name] + names[at:]
        merged = {**self.columns, name: column}
        return TextFrame({n: merged[n] for n in order})


def from_polars(frame: pl.DataFrame) -> TextFrame:
    return TextFrame({name: from_series(frame.get_column(name)) for name in frame.columns})


def concat_frames(frames: Sequence[TextFrame]) -> TextFrame:
    names = frames[0].names
    return TextFrame({name: concat_rows([f[name] for f in frames]) for name in names})


# ---------------------------------------------------------------------------------------------
# Writing: CSV (polars write_csv's quoting) and JSON lines (see :mod:`.serialise`)
# ---------------------------------------------------------------------------------------------
# A chunk is assembled from its columns in a handful of passes over its bytes, and the text is
# byte for byte what polars wrote before (``write_csv``'s quoting).


def _replace_rows(column: TextColumn, rows: np.ndarray, transform) -> TextColumn:
    if not len(rows):
        return column
    return set_rows(column, rows, [transform(v) for v in column.values(rows)])


def _csv_field(column: TextColumn) -> TextColumn:
    """Quoted where polars quotes: the empty string, or a value holding '"', ',' or a line break."""
    if column.plain:
        return column
    empty = (column.length == 0) & ~column.null
    rows = np.flatnonzero(empty | _special_rows(column, (_QUOTE, _COMMA, _NEWLINE, _RETURN)))
    return _replace_rows(column, rows, lambda v: '"' + v.replace('"', '""') + '"')


def _number_rows(column: TextColumn) -> np.ndarray:
    """Rows whose text matches ``^-?[0-9]+(\\.[0-9]+)?$``: written as JSON numbers."""
    if column.numeric:
        return ~column.null
    column = column.aligned(right=False)
    if column.width == 0:
        return np.zeros(len(column), dtype=bool)
    data, length = column.data, column.length
    position = np.arange(column.width)
    inside = position < length[:, None]
    digit = (data >= 48) & (data <= 57)
    sign = data[:, 0] == ord("-")
    dot = (data == ord(".")) & inside
    allowed = digit | dot | ((position == 0) & (data == ord("-")))
    dots = dot.sum(axis=1)
    dot_at = np.where(dots > 0, dot.argmax(axis=1), 0)
    first_digit = sign.astype(np.int64)
    good = (allowed | ~inside).all(axis=1) & (length > first_digit) & (dots <= 1)
    good &= (dots == 0) | ((dot_at > first_digit) & (dot_at < length - 1))
    return good & ~column.null


def _boolean_rows(column: TextColumn) -> np.ndarray:
    column = column.aligned(right=False).with_width(8)
    text = column.data[:, :5]
    true = (column.length == 4) & (text[:, :4] == np.frombuffer(b"true", dtype=_U8)).all(axis=1)
    false = (column.length == 5) & (text == np.frombuffer(b"false", dtype=_U8)).all(axis=1)
    return (true | false) & ~column.null


def _optional_quote(quoted: np.ndarray) -> TextColumn:
    data = np.broadcast_to(np.frombuffer(b'"' + b"\0" * 7, dtype=_U8), (len(quoted), 8))
    return TextColumn(data, quoted.astype(np.int64), _no_nulls(len(quoted)), True)


def _json_value(column: TextColumn, kind: str) -> list[TextColumn | str]:
    """The pieces of the JSON text of each value: ``null``, a bare number / boolean, or an escaped string."""
    if not column.plain:
        rows = np.flatnonzero(_special_rows(column, (_QUOTE, _BACKSLASH)))
        column = _replace_rows(column, rows, lambda v: v.replace("\\", "\\\\").replace('"', '\\"'))
    has_nulls = column.null.any()
    if kind == "string" and not has_nulls:
        return ['"', column, '"']
    if kind == "number":
        bare = _number_rows(column)
    elif kind == "boolean":
        bare = _boolean_rows(column)
    else:
        bare = np.zeros(len(column), dtype=bool)
    quoted = ~bare & ~column.null
    if has_nulls:
        column = set_rows(column, np.flatnonzero(column.null), "null")
    if not quoted.any():
        return [column]
    quote = _optional_quote(quoted)
    return [quote, column, quote]


@lru_cache(maxsize=512)
def _length_masks(width: int, right: bool) -> np.ndarray:
    """Row ``k``: which of ``width`` bytes a value of length k covers (as uint64 words)."""
    k = np.arange(width + 1)[:, None]
    position = np.arange(width)
    masks = position >= width - k if right else position < k
    return _words(np.ascontiguousarray(masks).view(_U8))


def _assemble(pieces: Sequence[TextColumn | str], n: int) -> list[np.ndarray]:
    """The rows' bytes, each row the pieces one after the other.

    Every piece gets a slot of whole 8-byte words in a row-major byte matrix, with a mask of the
    bytes in use; the rows are then the masked bytes in order: one pass over the bytes per piece,
    one for the whole chunk.
    """
    if n == 0:
        return []
    merged: list[TextColumn | bytes] = []
    for piece in pieces:
        if isinstance(piece, str):
            piece = piece.encode("utf-8")
            if merged and isinstance(merged[-1], bytes):
                merged[-1] += piece
                continue
        merged.append(piece)
    widths = [_capacity(len(p)) if isinstance(p, bytes) else p.width for p in merged]
    sources, valid = [], []
    for piece, width in zip(merged, widths, strict=True):
        if isinstance(piece, bytes):
            sources.append(_words(np.frombuffer(piece.ljust(width, b"\0"), dtype=_U8))[None, :])
            valid.append(_length_masks(width, False)[len(piece)][None, :])
            continue
        sources.append(_words(np.ascontiguousarray(piece.data)))
        masks = _length_masks(width, piece.right)
        fixed_length = piece.fixed_length()
        valid.append(masks[fixed_length][None, :] if fixed_length is not None else np.take(masks, piece.length, axis=0))
    # block by block of rows, so that the matrix being filled stays in the CPU cache
    block = max(1, _BLOCK_BYTES // sum(widths))
    data = np.empty((min(block, n), sum(widths)), dtype=_U8)
    mask = np.empty((min(block, n), sum(widths)), dtype=bool)
    words, mask_words = _words(data), _words(mask.view(_U8))
    out = []
    for first_row in range(0, n, block):
        rows = slice(first_row, min(first_row + block, n))
        count = rows.stop - rows.start
        column = 0
        for source, masks in zip(sources, valid, strict=True):
            many = len(source) > 1
            many_masks = len(masks) > 1
            for k in range(source.shape[1]):
                words[:count, column] = source[rows, k] if many else source[0, k]
                mask_words[:count, column] = masks[rows, k] if many_masks else masks[0, k]
                column += 1
        out.append(data[:count][mask[:count]])
    return out


def csv_blocks(frame: TextFrame, header: bool) -> list[bytes | np.ndarray]:
    """The CSV text of the rows, in blocks (bytes-like: join or write them in order)."""
    pieces: list[TextColumn | str] = []
    for j, name in enumerate(frame.names):
        pieces.append(_csv_field(frame[name]))
        pieces.append("," if j < len(frame.names) - 1 else "\n")
    head = [(",".join(frame.names) + "\n").encode()] if header else []
    return head + _assemble(pieces, frame.height)


def json_lines_blocks(frame: TextFrame, kinds: dict[str, str]) -> list[np.ndarray]:
    """One JSON object per line, in blocks; ``kinds`` maps a column to "number" or "boolean" (default string)."""
    pieces: list[TextColumn | str] = []
    for j, name in enumerate(frame.names):
        pieces.append(("{" if j == 0 else ", ") + f'"{name}": ')
        pieces.extend(_json_value(frame[name], kinds.get(name, "string")))
    pieces.append("}\n")
    return _assemble(pieces, frame.height)
