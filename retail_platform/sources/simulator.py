"""The synthetic source systems as a resource: what the local landing step exports each day."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import dagster as dg

from retail_platform.sources.registry import DEFAULT_SEED, DEFAULT_VOLUME

if TYPE_CHECKING:
    from retail_platform.sources.generator import LandingFile


class SourceSimulator(dg.ConfigurableResource):
    """Seed and volume of the synthetic source systems (``RETAIL_SEED``, ``RETAIL_VOLUME``)."""

    seed: int = DEFAULT_SEED
    volume: int = DEFAULT_VOLUME

    def export_day(self, day: date) -> list[LandingFile]:
        """Every table's files for ``day``, identical bytes for the same (seed, volume, day)."""
        # Imported here: numpy and Faker are only needed by the step that simulates the sources.
        from retail_platform.sources.generator import generate_day

        return generate_day(day, seed=self.seed, volume=self.volume)
