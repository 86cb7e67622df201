"""The ``products`` table: the catalogue as of the file's day (every product launched so far)."""

from __future__ import annotations

import numpy as np
import polars as pl

from ..defects import Kind, defect
from ..inject import cycle_values, pick_rows, set_values
from ..name_pools import name_pools
from ..products import ADJECTIVES, CATEGORY_NAMES, SUBCATEGORY_NAMES, catalog, catalog_on
from ..randomness import day_rng, entity_hash
from ..render import as_registry_text, bool_expr, id_expr, lookup, money_expr, ts_expr
from ..text_frames import TextFrame

TABLE = "products"
_MESSY_SKU = defect(TABLE, Kind.MESSY_TEXT, "sku")
_MESSY_CURRENCY = defect(TABLE, Kind.MESSY_TEXT, "currency")


def _sku_expr() -> pl.Expr:
    """``ELE-00042-1234``: launch category, product number, a random tail (never changes)."""
    return pl.concat_str(
        [
            pl.col("base_category").str.slice(0, 3).str.to_uppercase(),
            pl.lit("-"),
            (pl.col("product") + 1).cast(pl.String).str.zfill(5),
            pl.lit("-"),
            pl.col("sku_tail").cast(pl.String).str.zfill(4),
        ]
    )


def _clean_products(seed: int, volume: int, day_number: int) -> TextFrame:
    products = catalog(seed, volume)
    today = catalog_on(seed, volume, day_number)
    exported = today.exported
    frame = pl.DataFrame(
        {
            "product": exported,
            "price_cents": today.price_cents[exported],
            "active": today.is_active[exported],
            "updated_ts": today.updated_ts[exported],
            "sku_tail": (entity_hash(seed, "p:sku", exported) % np.uint64(4096)).astype(np.int64),
            "base_category": lookup(CATEGORY_NAMES, products.category[exported]),
        }
    ).with_columns(
        category=lookup(CATEGORY_NAMES, today.category[exported]),
        subcategory=lookup(SUBCATEGORY_NAMES, today.subcategory[exported]),
        brand=name_pools(seed).brand.gather(products.brand[exported]),
        adjective=lookup(ADJECTIVES, products.adjective[exported]),
        base_subcategory=lookup(SUBCATEGORY_NAMES, products.subcategory[exported]),
    )
    # sku and name keep the launch (sub)category: re-categorisation does not rename a product
    frame = frame.with_columns(
        product_id=id_expr("product", "P", 5),
        sku=_sku_expr(),
        name=pl.concat_str(
            [pl.col("brand"), pl.col("adjective"), pl.col("base_subcategory").str.to_titlecase()], separator=" "
        ),
        unit_price=money_expr("price_cents"),
        currency=pl.lit("USD"),
        is_active=bool_expr("active"),
        updated_at=ts_expr("updated_ts"),
    )
    return as_registry_text(frame, TABLE)


def products_table(seed: int, volume: int, day_number: int) -> TextFrame:
    frame = _clean_products(seed, volume, day_number)
    rng = day_rng(seed, day_number, TABLE, 1)
    sku_rows, currency_rows = pick_rows(rng, np.arange(frame.height), frame.height, [_MESSY_SKU, _MESSY_CURRENCY])
    frame = set_values(frame, "sku", sku_rows, [sku.lower() for sku in frame["sku"].values(sku_rows)])
    return set_values(frame, "currency", currency_rows, cycle_values(_MESSY_CURRENCY.values, len(currency_rows)))
