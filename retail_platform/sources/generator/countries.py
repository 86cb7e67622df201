"""The four countries the business sells in, their currencies and the fixed FX rates."""

from __future__ import annotations

import numpy as np

from retail_platform.sources import registry

from .randomness import weighted_choice

COUNTRIES = ("US", "DE", "FR", "GB")
COUNTRY_CURRENCY = np.array([0, 1, 1, 2], dtype=np.int64)  # index into registry.CURRENCIES
# Share of customers (and guest orders) per country, cumulative, in COUNTRIES order.
_COUNTRY_SHARES_CUMULATIVE = np.array([0.45, 0.65, 0.80, 1.0])

# Fixed FX: 1 unit of the currency is worth this many USD.
# unit_price_local = round(usd_price / FX_TO_USD[currency], 2)
# Floats of the registry's exact rates: the generated prices are pinned by golden hashes.
FX_TO_USD = {currency: float(rate) for currency, rate in registry.FX_TO_USD.items()}
USD_PER_UNIT = np.array([FX_TO_USD[c] for c in registry.CURRENCIES])  # by currency index


def draw_country(uniforms: np.ndarray) -> np.ndarray:
    return weighted_choice(_COUNTRY_SHARES_CUMULATIVE, uniforms)
