"""The watermark (last complete day): the thin-slice rule, the stream's clock, the setting, and the ingest warning."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from data import schema
from data.ingest import ingest_frame
from data.sample import SampleConfig
from data.stream import DEFAULT_STREAM, apply_events, encode_event, parse_event
from data.watermark import MAX_PARTIAL_DAYS, complete_through, thin_days
from tests.data.ingest.helpers import source_frame
from tests.sample_stores import store_fixtures

END = dt.date(2026, 10, 31)
TODAY = max(dt.date(2026, 12, 31), dt.date.today())
COMPANY = SampleConfig(customers=1500, seed=5, end_date=END)


def _daily(counts: list[int], last: str = "2026-03-31") -> pd.Series:
    return pd.Series(counts, index=pd.date_range(end=last, periods=len(counts), freq="D"))


# --- the thin-slice rule on synthetic days ---------------------------------------------------
def test_a_few_lines_on_the_last_day_are_a_thin_slice():
    assert thin_days(_daily([100] * 40 + [4])) == [dt.date(2026, 3, 31)]


def test_thin_days_are_peeled_off_one_by_one_and_gaps_count_as_thin():
    series = _daily([100] * 40, last="2026-03-30")
    series[pd.Timestamp("2026-04-01")] = 3  # 2026-03-31 has no lines at all
    assert thin_days(series) == [dt.date(2026, 3, 31), dt.date(2026, 4, 1)]


def test_a_slow_day_is_not_thin_and_the_threshold_is_a_quarter_of_the_median():
    rng = np.random.default_rng(3)
    history = list(rng.integers(80, 120, 40))
    median = float(np.median(history[-28:]))
    assert thin_days(_daily(history + [int(0.3 * median)])) == []
    assert thin_days(_daily(history + [int(0.24 * median)])) == [dt.date(2026, 3, 31)]


def test_too_little_history_is_never_called_thin_and_the_walk_is_bounded():
    assert thin_days(_daily([100, 100, 100, 1])) == []
    assert thin_days(_daily([0] * 30)) == []  # no median to compare with
    assert len(thin_days(_daily([100] * 60 + [1] * 10))) == MAX_PARTIAL_DAYS


# --- on a sample store -----------------------------------------------------------------------
template, engine = store_fixtures("watermark", COMPANY)


def _ids(engine) -> tuple[int, int, int]:
    """The next order id, a customer who signed up long ago and a product launched long ago."""
    with engine.connect() as connection:
        order = connection.execute(select(func.max(schema.orders.c.order_id))).scalar() + 1
        customer = connection.execute(select(func.min(schema.customers.c.customer_id))).scalar()
        product = connection.execute(select(schema.products.c.product_id)
                                     .order_by(schema.products.c.launch_date).limit(1)).scalar()
    return order, customer, product


def add_thin_slice(engine, day: dt.date, n_lines: int = 4) -> tuple[str, ...]:
    """``n_lines`` order lines (in two orders) dated ``day``, through the ingest path; returns its warnings."""
    order, customer, product = _ids(engine)
    rows = [{"order_id": order + i % 2, "customer_id": customer, "order_date": day.isoformat(),
             "product_id": product, "quantity": 1 + i, "unit_price": 250.0, "line_number": i + 1, "channel": "Web"}
            for i in range(n_lines)]
    result = ingest_frame(engine, source_frame("orders", rows, "late.csv"), today=TODAY)
    assert result.status == "committed", result
    return result.warnings


def test_a_complete_sample_is_complete_through_its_last_order_day(engine):
    mark = complete_through(engine)
    assert (mark.through, mark.source, mark.last_order_day) == (END, "data", END)


def test_lines_after_the_last_complete_day_do_not_move_the_watermark_and_warn(engine):
    warnings = add_thin_slice(engine, END + dt.timedelta(days=1))
    mark = complete_through(engine)
    assert (mark.through, mark.source, mark.last_order_day) == (END, "data", END + dt.timedelta(days=1))
    assert "2026-11-01 is a thin slice" in mark.reason
    [warning] = warnings
    assert "2026-11-01 holds only 4 order line(s)" in warning
    assert "treated as partial" in warning and "FORESIGHT_COMPLETE_THROUGH=2026-11-01" in warning


def test_a_second_thin_day_is_partial_too(engine):
    add_thin_slice(engine, END + dt.timedelta(days=1))
    warnings = add_thin_slice(engine, END + dt.timedelta(days=2), n_lines=2)
    mark = complete_through(engine)
    assert mark.through == END and "2026-11-01 to 2026-11-02 are thin slices" in mark.reason
    assert "2026-11-02 holds only 2 order line(s)" in warnings[0]


def test_a_late_line_on_a_complete_day_gives_no_warning(engine):
    assert add_thin_slice(engine, END - dt.timedelta(days=3)) == ()
    assert complete_through(engine).through == END


def test_the_setting_overrides_the_data(engine):
    add_thin_slice(engine, END + dt.timedelta(days=1))
    mark = complete_through(engine, override=END + dt.timedelta(days=1))
    assert (mark.through, mark.source) == (END + dt.timedelta(days=1), "setting")
    assert "FORESIGHT_COMPLETE_THROUGH=2026-11-01" in mark.reason


def test_the_stream_clock_makes_its_newest_day_partial(engine):
    order, customer, product = _ids(engine)
    day = END + dt.timedelta(days=1)
    lines = [{"line_number": n, "product_id": product, "quantity": 1, "unit_price": 9.5} for n in (1, 2)]
    events = [parse_event(encode_event(f"t:order:{order + i}", "order",
                                       {"order_id": order + i, "customer_id": customer, "order_date": day.isoformat(),
                                        "channel": "Web", "lines": lines}, 1_790_000_000_000))
              for i in range(60)]  # 120 lines: a full day's worth, so only the stream's clock makes it partial
    outcome = apply_events(engine, [(f"{i}-0", event) for i, event in enumerate(events)], stream=DEFAULT_STREAM,
                           today=TODAY)
    assert len(outcome.applied) == 60
    mark = complete_through(engine)
    assert (mark.through, mark.source, mark.last_order_day) == (END, "stream", day)
    assert "2026-11-01" in mark.reason
