"""Orders and support tickets: everything that happens to the ones created on one day.

An order created on day c gets its events (paid, shipped, delivered, ...) over the following
days; a ticket opened on day c gets its status changes likewise. Each creation day is a memoised
pure function of ``(seed, volume, c)``, and the file of day d collects the events dated d from
the creation days ``d - window .. d``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .arrays import freeze_fields, running_number
from .calendar import DAY_SECONDS, day_plan, day_start, web_time_of_day
from .countries import COUNTRY_CURRENCY, USD_PER_UNIT, draw_country
from .customers import customer_country, pick_existing_customers
from .products import bucket_starts, catalog_on, sample_products
from .randomness import day_rng, weighted_choice

# Order event kinds (the numbers also break ties between events with the same timestamp).
CREATED, PAID, CANCELED, SHIPPED, DELIVERED, REFUNDED, DELETED = range(7)
ORDER_EVENT_STATUS = ("created", "paid", "canceled", "shipped", "delivered", "refunded", "created")
ORDER_EVENT_OP = ("insert", "update", "update", "update", "update", "update", "delete")
ORDER_WINDOW = 20  # orders created d-20..d can have events on d (the last refund is < 20 days after)
TICKET_WINDOW = 10

# Ticket statuses (index into TICKET_STATUS).
OPEN, PENDING, CLOSED = range(3)
TICKET_STATUS = ("open", "pending", "closed")
TICKET_PRIORITIES = ("low", "medium", "high", "urgent")
TICKET_CATEGORIES = (  # the first four are about an order
    *("delivery", "refund", "damaged_item", "wrong_item"),
    *("account", "billing", "product_question", "other"),
)
_ORDER_CATEGORIES = 4


def _events(steps: list[tuple[int, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(entity, kind, ts) of the events; ``steps`` lists (kind, which entities have it, when)."""
    entity = np.concatenate([np.flatnonzero(happens) for _, happens, _ in steps])
    kind = np.concatenate([np.full(int(happens.sum()), k) for k, happens, _ in steps])
    ts = np.concatenate([when[happens] for _, happens, when in steps])
    return entity, kind, ts


# ---------------------------------------------------------------------------------------------
# Orders
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrdersCreatedOn:
    created_day: int
    created_ts: np.ndarray
    customer: np.ndarray  # -1 = guest
    country: np.ndarray  # shipping country, index into COUNTRIES
    currency: np.ndarray
    session_seq: np.ndarray  # the web session the order was placed in
    total_cents: np.ndarray  # in the order currency
    item_order: np.ndarray
    item_line: np.ndarray
    item_product: np.ndarray
    item_quantity: np.ndarray
    item_unit_cents: np.ndarray
    event_order: np.ndarray
    event_kind: np.ndarray
    event_ts: np.ndarray
    deleted: np.ndarray  # bool: deleted right after creation (a test order, a double click)


@dataclass(frozen=True)
class _Items:
    order: np.ndarray
    line: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    unit_cents: np.ndarray


def _draw_items(seed: int, volume: int, day_number: int, rng: np.random.Generator, currency: np.ndarray) -> _Items:
    lines_per_order = rng.integers(1, 5, len(currency))
    order = np.repeat(np.arange(len(currency)), lines_per_order)
    catalog_day = catalog_on(seed, volume, day_number)
    product = sample_products(catalog_day, rng, len(order), bucket_starts(seed, volume, day_number))
    quantity = rng.choice(np.array([1, 2, 3]), size=len(order), p=[0.75, 0.2, 0.05])
    unit_cents = np.rint(catalog_day.price_cents[product] / USD_PER_UNIT[currency[order]]).astype(np.int64)
    return _Items(order, running_number(lines_per_order), product, quantity, unit_cents)


def _draw_order_events(rng: np.random.Generator, created: np.ndarray):
    """(event_order, event_kind, event_ts, deleted): each order's path through its life cycle."""
    k = len(created)
    outcome = rng.random(k)
    deleted = outcome < 0.01
    canceled_unpaid = (outcome >= 0.01) & (outcome < 0.04)
    paid = outcome >= 0.04
    paid_ts = created + rng.integers(60, 1800, k)
    canceled_paid = paid & (rng.random(k) < 0.02)
    shipped = paid & ~canceled_paid
    canceled_unpaid_ts = created + rng.integers(600, 6 * 3600, k)
    canceled_paid_ts = paid_ts + rng.integers(3600, 12 * 3600, k)
    shipped_ts = paid_ts + rng.integers(12 * 3600, 48 * 3600, k)
    delivered_ts = shipped_ts + rng.integers(24 * 3600, 96 * 3600, k)
    refunded = shipped & (rng.random(k) < 0.03)
    refunded_ts = delivered_ts + rng.integers(DAY_SECONDS, 10 * DAY_SECONDS, k)
    deleted_ts = created + rng.integers(60, 1800, k)
    event_order, event_kind, event_ts = _events(
        [
            (CREATED, np.ones(k, dtype=bool), created),
            (DELETED, deleted, deleted_ts),
            (CANCELED, canceled_unpaid, canceled_unpaid_ts),
            (PAID, paid, paid_ts),
            (CANCELED, canceled_paid, canceled_paid_ts),
            (SHIPPED, shipped, shipped_ts),
            (DELIVERED, shipped, delivered_ts),
            (REFUNDED, refunded, refunded_ts),
        ]
    )
    return event_order, event_kind, event_ts, deleted


# The creation days of a file's 21-day window are memoised within a memory budget: all of them
# at laptop volumes (consecutive days then share 20 of 21), the latest few at millions of rows.
_ORDER_DAYS_BUDGET = 64 * 2**20
_order_days: OrderedDict[tuple[int, int, int], OrdersCreatedOn] = OrderedDict()


def _nbytes(orders: OrdersCreatedOn) -> int:
    return sum(v.nbytes for v in vars(orders).values() if isinstance(v, np.ndarray))


def orders_created_on(seed: int, volume: int, day_number: int) -> OrdersCreatedOn:
    key = (seed, volume, day_number)
    if key in _order_days:
        _order_days.move_to_end(key)
        return _order_days[key]
    orders = _draw_orders(seed, volume, day_number)
    _order_days[key] = orders
    while len(_order_days) > 1 and sum(_nbytes(o) for o in _order_days.values()) > _ORDER_DAYS_BUDGET:
        _order_days.popitem(last=False)
    return orders


@lru_cache(maxsize=64)
def order_links(seed: int, volume: int, day_number: int) -> tuple[np.ndarray, np.ndarray]:
    """(customer, deleted) of the orders created on a day: what tickets about those orders need."""
    orders = orders_created_on(seed, volume, day_number)
    return orders.customer, orders.deleted


def _draw_orders(seed: int, volume: int, day_number: int) -> OrdersCreatedOn:
    plan = day_plan(seed, day_number, volume)
    k = plan.orders
    rng = day_rng(seed, day_number, "orders")
    created = day_start(day_number) + web_time_of_day(rng, k)
    guest = rng.random(k) < 0.08
    customer = np.where(guest, -1, pick_existing_customers(rng, volume, day_number, k))
    guest_country = draw_country(rng.random(k))
    country = np.where(guest, guest_country, customer_country(seed, np.maximum(customer, 0)))
    currency = COUNTRY_CURRENCY[country]
    session_seq = rng.choice(plan.sessions, size=k, replace=False).astype(np.int64) + 1
    items = _draw_items(seed, volume, day_number, rng, currency)
    total = np.bincount(items.order, weights=items.quantity * items.unit_cents, minlength=k).astype(np.int64)
    event_order, event_kind, event_ts, deleted = _draw_order_events(rng, created)
    result = OrdersCreatedOn(
        created_day=day_number,
        created_ts=created,
        customer=customer,
        country=country,
        currency=currency,
        session_seq=session_seq,
        total_cents=total,
        item_order=items.order,
        item_line=items.line,
        item_product=items.product,
        item_quantity=items.quantity,
        item_unit_cents=items.unit_cents,
        event_order=event_order,
        event_kind=event_kind,
        event_ts=event_ts,
        deleted=deleted,
    )
    freeze_fields(result)
    return result


# ---------------------------------------------------------------------------------------------
# Support tickets
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketsOpenedOn:
    opened_day: int
    opened_ts: np.ndarray
    customer: np.ndarray
    order_day: np.ndarray  # creation day of the order the ticket is about; -1 = no order
    order: np.ndarray  # index within that day's orders
    priority: np.ndarray  # index into TICKET_PRIORITIES
    category: np.ndarray  # index into TICKET_CATEGORIES
    event_ticket: np.ndarray
    event_status: np.ndarray  # index into TICKET_STATUS
    event_ts: np.ndarray


def _link_to_orders(seed: int, volume: int, day_number: int, rng: np.random.Generator, k: int):
    """(customer, order_day, order): 70% of tickets are about a recent order of a known customer."""
    about_order = (rng.random(k) < 0.7) & (day_number >= 1)
    lag = rng.integers(1, min(7, max(day_number, 1)) + 1, k)
    pick = rng.random(k)
    order_day = np.full(k, -1, dtype=np.int64)
    order = np.full(k, -1, dtype=np.int64)
    customer = pick_existing_customers(rng, volume, day_number, k)
    for lag_days in np.unique(lag[about_order]):
        tickets = np.flatnonzero(about_order & (lag == lag_days))
        order_customer, deleted = order_links(seed, volume, day_number - int(lag_days))
        eligible = np.flatnonzero((order_customer >= 0) & ~deleted)
        if len(eligible) == 0:
            continue
        chosen = eligible[np.minimum((pick[tickets] * len(eligible)).astype(np.int64), len(eligible) - 1)]
        order_day[tickets] = day_number - int(lag_days)
        order[tickets] = chosen
        customer[tickets] = order_customer[chosen]
    return customer, order_day, order


def _draw_ticket_events(rng: np.random.Generator, opened: np.ndarray):
    """(event_ticket, event_status, event_ts): open, then closed directly or via pending, or left open."""
    k = len(opened)
    path = rng.random(k)
    via_pending = path < 0.60
    closed_directly = (path >= 0.60) & (path < 0.88)
    pending_ts = opened + rng.integers(3600, 48 * 3600, k)
    closed_after_pending_ts = pending_ts + rng.integers(2 * 3600, 5 * DAY_SECONDS, k)
    closed_directly_ts = opened + rng.integers(1800, 72 * 3600, k)
    return _events(
        [
            (OPEN, np.ones(k, dtype=bool), opened),
            (PENDING, via_pending, pending_ts),
            (CLOSED, via_pending, closed_after_pending_ts),
            (CLOSED, closed_directly, closed_directly_ts),
        ]
    )


@lru_cache(maxsize=24)
def tickets_opened_on(seed: int, volume: int, day_number: int) -> TicketsOpenedOn:
    k = day_plan(seed, day_number, volume).tickets
    rng = day_rng(seed, day_number, "support_tickets")
    opened = day_start(day_number) + rng.integers(7 * 3600, 21 * 3600, k)
    customer, order_day, order = _link_to_orders(seed, volume, day_number, rng, k)
    priority = weighted_choice([0.35, 0.75, 0.95, 1.0], rng.random(k))
    category = np.where(
        order_day >= 0, rng.integers(0, _ORDER_CATEGORIES, k), _ORDER_CATEGORIES + rng.integers(0, 4, k)
    )
    event_ticket, event_status, event_ts = _draw_ticket_events(rng, opened)
    result = TicketsOpenedOn(
        opened_day=day_number,
        opened_ts=opened,
        customer=customer,
        order_day=order_day,
        order=order,
        priority=priority,
        category=category,
        event_ticket=event_ticket,
        event_status=event_status,
        event_ts=event_ts,
    )
    freeze_fields(result)
    return result
