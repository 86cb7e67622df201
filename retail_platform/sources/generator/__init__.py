"""Deterministic, vectorised generator of the raw files the source systems export each day.

``generate_day(day)`` returns one :class:`LandingFile` per table declared in
:mod:`retail_platform.sources.registry`; ``write_day(day, directory)`` writes the same bytes to
files chunk by chunk, in bounded memory at any volume (``iter_parts`` is the stream of pieces).
The output is a pure function of ``(seed, day, volume)``: nothing reads the wall clock and nothing
depends on which days were generated before or on memory settings (the memoised helpers only
memoise pure functions and hand out read-only arrays; chunk sizes are constants).

Modules, from the bottom up:

* :mod:`.randomness` - counter-based hashes (entity attributes) and seeded per-day generators (facts);
* :mod:`.calendar` - EPOCH, day numbers, how busy a day is, times of day;
* :mod:`.countries`, :mod:`.name_pools` - countries, currencies, FX; Faker name pools;
* :mod:`.stores`, :mod:`.products`, :mod:`.customers` - the entities and their slowly changing
  attributes, each a step function of the day number so any day is computed directly;
* :mod:`.lifecycles` - orders and support tickets across the days after their creation;
* :mod:`.defects` - the injected defects as data (:data:`DEFECTS`), :mod:`.inject` - how;
* :mod:`.render`, :mod:`.text_columns`, :mod:`.text_frames`, :mod:`.serialise` - text formats (numpy
  byte matrices for the big tables) and CSV / JSON lines / JSON files;
* :mod:`.chunks` - the fixed chunk sizes of the big fact tables;
* :mod:`.tables` - one builder per exported table; :mod:`.generate` - :func:`generate_day`,
  :func:`write_day`, :func:`iter_parts`.
"""

from __future__ import annotations

from .calendar import EPOCH, day_index
from .countries import COUNTRIES, FX_TO_USD
from .defects import BAD_NUMBERS, BAD_TIMESTAMPS, DEFECTS, Defect, Kind
from .generate import (
    DEFAULT_SEED,
    DEFAULT_VOLUME,
    FilePart,
    LandingFile,
    file_name,
    generate_day,
    iter_parts,
    write_day,
)

__all__ = [
    "BAD_NUMBERS",
    "BAD_TIMESTAMPS",
    "COUNTRIES",
    "DEFAULT_SEED",
    "DEFAULT_VOLUME",
    "DEFECTS",
    "EPOCH",
    "FX_TO_USD",
    "Defect",
    "FilePart",
    "Kind",
    "LandingFile",
    "day_index",
    "file_name",
    "generate_day",
    "iter_parts",
    "write_day",
]
