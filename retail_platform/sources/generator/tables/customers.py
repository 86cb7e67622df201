"""The ``customers`` table: every customer signed up so far, with their attributes on the file's day."""

from __future__ import annotations

import numpy as np
import polars as pl

from ..calendar import DAY_SECONDS
from ..countries import COUNTRIES
from ..customers import EMAIL_DOMAINS, PHONE_COUNTRY_CODES, TIERS, CustomerBase, address, customer_base
from ..defects import Kind, defect, rows_affected
from ..inject import (
    add_drift_column,
    duplicate_rows,
    inject_messy_text,
    insert_stale_copies,
    pick_rows,
    stale_copies,
)
from ..name_pools import NamePools, name_pools
from ..randomness import day_rng, entity_uniform
from ..render import as_registry_text, date_expr, id_expr, lookup, ts_expr
from ..text_columns import digits_value, integer
from ..text_frames import TextFrame

TABLE = "customers"
_ACCENTS = (  # e-mail local parts are ASCII
    ["ä", "ö", "ü", "ß", "é", "è", "ê", "ë", "à", "â", "ç", "î", "ï", "ô", "û", "ù", "ÿ", "œ", "æ"],
    ["ae", "oe", "ue", "ss", "e", "e", "e", "e", "a", "a", "c", "i", "i", "o", "u", "u", "y", "oe", "ae"],
)
_STREET_FIRST_COUNTRIES = [COUNTRIES.index("DE")]  # "Hauptstraße 12" rather than "12 Main Street"
_MESSY_TEXT = tuple(defect(TABLE, Kind.MESSY_TEXT, column) for column in ("email", "country", "loyalty_tier"))


def _address_expr() -> pl.Expr:
    number = pl.col("house_number").cast(pl.String)
    return (
        pl.when(pl.col("country_index").is_in(_STREET_FIRST_COUNTRIES))
        .then(pl.concat_str([pl.col("street"), number], separator=" "))
        .otherwise(pl.concat_str([number, pl.col("street")], separator=" "))
    )


def _email_expr() -> pl.Expr:
    local = pl.concat_str([pl.col("first_name"), pl.lit("."), pl.col("last_name")]).str.to_lowercase()
    local = local.str.replace_many(*_ACCENTS).str.replace_all(r"[^a-z0-9.]", "")
    return pl.concat_str([local, pl.col("email_number").cast(pl.String), pl.lit("@"), pl.col("domain")])


def _clean_customers(base: CustomerBase, pools: NamePools) -> TextFrame:
    frame = pl.DataFrame(
        {
            "customer": base.customer,
            "country_index": base.country,
            "signup_day": base.signup_day,
            "updated_ts": base.updated_ts,
            "house_number": base.address.house_number,
            "email_number": base.email_number,
            "phone_area": base.phone_area,
            "phone_number": base.phone_number,
        }
    ).with_columns(
        first_name=pools.first.gather(base.first_name),
        last_name=pools.last.gather(base.last_name),
        street=pools.street.gather(base.address.street),
        city=pools.city.gather(base.address.city),
        country=lookup(COUNTRIES, base.country),
        loyalty_tier=lookup(TIERS, base.tier),
        domain=lookup(EMAIL_DOMAINS, base.email_domain),
        phone_country_code=lookup(PHONE_COUNTRY_CODES, base.country),
    )
    frame = frame.with_columns(
        customer_id=id_expr("customer", "C", 7),
        email=_email_expr(),
        phone=pl.concat_str(
            [
                pl.col("phone_country_code"),
                pl.col("phone_area").cast(pl.String),
                pl.col("phone_number").cast(pl.String).str.zfill(7),
            ],
            separator=" ",
        ),
        address=_address_expr(),
        signup_date=date_expr("signup_day"),
        updated_at=ts_expr("updated_ts"),
    )
    return as_registry_text(frame, TABLE)


def _older_versions(
    seed: int, base: CustomerBase, pools: NamePools, frame: TextFrame, rows: np.ndarray, rng: np.random.Generator
) -> TextFrame:
    """Copies of ``rows`` as they were before the latest change: previous address, another tier."""
    previous = address(seed, base.customer[rows], base.country[rows], base.address_version[rows] - 1)
    previous_address = pl.DataFrame(
        {
            "street": pools.street.gather(previous.street),
            "house_number": np.asarray(previous.house_number, dtype=np.int64),
            "country_index": base.country[rows],
        }
    ).select(address=_address_expr())
    # dated between the signup and the latest change, so the latest row stays the right one
    age = base.updated_ts[rows] - base.signup_ts[rows]
    gap = np.minimum(rng.integers(3600, 30 * DAY_SECONDS, len(rows)), age // 2)
    return stale_copies(
        frame,
        rows,
        base.updated_ts[rows] - gap,
        {
            "address": previous_address.get_column("address"),
            "city": pools.city.gather(np.asarray(previous.city, dtype=np.int64)),
            "loyalty_tier": lookup(TIERS, (base.tier[rows] + 1) % len(TIERS)),
        },
    )


def customers_table(seed: int, volume: int, day_number: int, drift: str | None = None) -> TextFrame:
    base = customer_base(seed, volume, day_number)
    pools = name_pools(seed)
    frame = _clean_customers(base, pools)
    rng = day_rng(seed, day_number, TABLE, 1)
    k = frame.height
    # only customers changed >= 2 h after signing up have an older version worth re-sending
    changed = np.flatnonzero(base.updated_ts - base.signup_ts >= 2 * 3600)
    (stale,) = pick_rows(rng, changed, k, [defect(TABLE, Kind.RESENT)])
    untouched = np.ones(k, dtype=bool)
    untouched[stale] = False
    messy_rows = pick_rows(rng, np.flatnonzero(untouched), k, _MESSY_TEXT)
    copies = _older_versions(seed, base, pools, frame, stale, rng)
    for messy, rows in zip(_MESSY_TEXT, messy_rows, strict=True):
        frame = inject_messy_text(frame, messy, rows, rng)
    frame = insert_stale_copies(frame, rng, stale, copies)
    if drift == TABLE:
        customer_number = digits_value(frame["customer_id"], start=1)
        points = (entity_uniform(seed, "c:points", customer_number, day_number) * 5000).astype(np.int64)
        frame = add_drift_column(frame, "loyalty_points", integer(points))
    duplicates = rows_affected(defect(TABLE, Kind.EXACT_DUPLICATE), k)
    return duplicate_rows(frame, rng, rng.choice(frame.height, size=min(frame.height, duplicates), replace=False))
