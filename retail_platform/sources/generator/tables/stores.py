"""The ``stores`` table: master data, never changes and carries no defects."""

from __future__ import annotations

import polars as pl

from retail_platform.sources import registry

from ..calendar import day_start
from ..countries import COUNTRIES
from ..render import as_registry_text, date_expr, ts_expr
from ..stores import STORE_LOCATIONS, stores
from ..text_frames import TextFrame


def stores_table(seed: int) -> TextFrame:
    network = stores(seed)
    frame = pl.DataFrame(
        {
            "store_id": network.ids,
            "name": network.names,
            "city": [city for city, _, _ in STORE_LOCATIONS],
            "country": [COUNTRIES[c] for c in network.country],
            "region": [region for _, _, region in STORE_LOCATIONS],
            "currency": [registry.CURRENCIES[c] for c in network.currency],
            "opened_day": network.opened_day,
            "square_meters": network.square_meters,
            "updated_ts": day_start(network.opened_day) + 8 * 3600,
        }
    )
    frame = frame.with_columns(opened_date=date_expr("opened_day"), updated_at=ts_expr("updated_ts"))
    return as_registry_text(frame, "stores")
