"""Deterministic randomness: a counter-based hash for entity attributes, seeded generators for facts.

An entity attribute on day d (a product's price, a customer's address) has to be computable for
that day alone, so it is a hash of ``(seed, stream, entity, version)``. The facts of one day
(transactions, orders, sessions, tickets) are drawn in bulk from
``numpy.random.default_rng([seed, day_number, stream_code, ...])``. Stream names are turned into
numbers with ``zlib.crc32``, never ``hash()``, which Python salts per process.
"""

from __future__ import annotations

import zlib

import numpy as np

_U64 = np.uint64
# splitmix64 constants
_GOLDEN_GAMMA = _U64(0x9E3779B97F4A7C15)
_MIX_MULTIPLIER_1 = _U64(0xBF58476D1CE4E5B9)
_MIX_MULTIPLIER_2 = _U64(0x94D049BB133111EB)
_MASK64 = (1 << 64) - 1


def stream_code(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _splitmix64(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (vectorised, wraps modulo 2**64)."""
    z = z + _GOLDEN_GAMMA
    z = (z ^ (z >> _U64(30))) * _MIX_MULTIPLIER_1
    z = (z ^ (z >> _U64(27))) * _MIX_MULTIPLIER_2
    return z ^ (z >> _U64(31))


def entity_hash(seed: int, stream: str, *keys) -> np.ndarray:
    """64-bit hash of ``(seed, stream, *keys)``; each key may be an array (one hash per element)."""
    with np.errstate(over="ignore"):
        h = _splitmix64(np.array([(seed ^ (stream_code(stream) << 32)) & _MASK64], dtype=np.uint64))
        for key in keys:
            h = _splitmix64(h ^ np.asarray(key).astype(np.int64).astype(np.uint64))
    return h


def entity_uniform(seed: int, stream: str, *keys) -> np.ndarray:
    """Uniform floats in [0, 1) from :func:`entity_hash` (its top 53 bits)."""
    return (entity_hash(seed, stream, *keys) >> _U64(11)).astype(np.float64) * (1.0 / (1 << 53))


def day_rng(seed: int, day_number: int, stream: str, *extra: int) -> np.random.Generator:
    """The generator of one stream of one day's facts."""
    return np.random.default_rng([seed, day_number, stream_code(stream), *extra])


def weighted_choice(cumulative_weights, uniforms: np.ndarray) -> np.ndarray:
    """Index of the bucket each uniform falls into (``cumulative_weights`` ends with the total)."""
    return np.minimum(np.searchsorted(cumulative_weights, uniforms, side="right"), len(cumulative_weights) - 1)


_CHUNK_STREAM = stream_code("chunk")


def chunk_rng(seed: int, day_number: int, stream: str, chunk: int, *extra: int) -> np.random.Generator:
    """The generator of one chunk of a table's rows (see :func:`.chunks.chunk_bounds`).

    Chunk 0 draws from the day's own stream, so a day that fits in one chunk (every day up to
    volumes in the hundreds of thousands) is what it was before tables were chunked.
    """
    if chunk == 0:
        return day_rng(seed, day_number, stream, *extra)
    return day_rng(seed, day_number, stream, *extra, _CHUNK_STREAM, chunk)
