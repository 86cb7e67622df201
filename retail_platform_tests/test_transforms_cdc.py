from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from retail_platform.sources.registry import TABLES_BY_NAME
from retail_platform.transforms.cdc import apply_changes, current_rows

CDC = TABLES_BY_NAME["orders"].cdc
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def events(*rows: tuple[int, str, str, str]) -> pl.DataFrame:
    """(lsn, op, order_id, status) -> change events."""
    return pl.DataFrame(
        {
            "lsn": [r[0] for r in rows],
            "op": [r[1] for r in rows],
            "order_id": [r[2] for r in rows],
            "status": [r[3] for r in rows],
            "updated_at": [T0 + timedelta(minutes=r[0]) for r in rows],
        },
        schema={
            "lsn": pl.Int64,
            "op": pl.String,
            "order_id": pl.String,
            "status": pl.String,
            "updated_at": pl.Datetime("us", "UTC"),
        },
    )


def test_latest_event_wins_whatever_the_file_order():
    state = apply_changes(
        None,
        events(
            (3, "update", "O1", "shipped"),
            (1, "insert", "O1", "created"),
            (2, "update", "O1", "paid"),
            (4, "insert", "O2", "created"),
        ),
        CDC,
    )
    assert state.select("order_id", "status", "lsn", "is_deleted").rows() == [
        ("O1", "shipped", 3, False),
        ("O2", "created", 4, False),
    ]


def test_delete_is_a_tombstone_that_a_late_older_event_cannot_undo():
    day1 = apply_changes(None, events((1, "insert", "O1", "created"), (5, "delete", "O1", "created")), CDC)
    day2 = apply_changes(day1, events((3, "update", "O1", "paid")), CDC)  # arrives late, older LSN
    assert day2.select("order_id", "lsn", "is_deleted").rows() == [("O1", 5, True)]
    assert current_rows(day2).is_empty()


def test_state_carries_untouched_orders_forward():
    day1 = apply_changes(None, events((1, "insert", "O1", "created"), (2, "insert", "O2", "created")), CDC)
    day2 = apply_changes(day1, events((3, "update", "O2", "paid")), CDC)
    assert dict(day2.select("order_id", "status").iter_rows()) == {"O1": "created", "O2": "paid"}


event_lists = st.lists(
    st.tuples(
        st.sampled_from(["insert", "update", "delete"]),
        st.sampled_from(["O1", "O2", "O3"]),
        st.sampled_from(["created", "paid", "shipped"]),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=80, deadline=None)
@given(event_lists, st.randoms(use_true_random=False), st.integers(min_value=0, max_value=30))
def test_replay_in_any_order_split_and_with_repeats_gives_the_same_state(raw, rnd, cut):
    log = [(lsn, op, order, status) for lsn, (op, order, status) in enumerate(raw, start=1)]
    reference = apply_changes(None, events(*log), CDC)

    replay = log + rnd.sample(log, k=min(len(log), 5))  # repeated events
    rnd.shuffle(replay)
    cut = min(cut, len(replay))
    first, second = replay[:cut], replay[cut:]
    state = apply_changes(None, events(*first), CDC) if first else None
    state = apply_changes(state, events(*second), CDC) if second else state
    assert state.sort("order_id").equals(reference.sort("order_id"))
