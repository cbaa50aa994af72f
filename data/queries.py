"""Read-only queries that hand analytics the store's facts as typed frames.

Large fact tables are read through the driver's cursor in chunks: far faster and
leaner than building ORM rows, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
from sqlalchemy import Engine, Select, func, select
from sqlalchemy.engine import Connection

from data import schema

__all__ = ["order_facts", "order_line_revenue", "customer_facts", "latest_order_date", "daily_revenue_since",
           "daily_line_counts", "latest_stream_order_date", "partial_day_totals", "daily_sales", "daily_marketing_spend",
           "promotion_calendar", "calendar_events", "CALENDAR_EVENT_COLUMNS", "order_revenue", "support_ticket_facts"]

_CHUNK = 500_000


def _read(engine: Engine, query: Select) -> pd.DataFrame:
    """Run a parameter-free SELECT on a raw DBAPI cursor, chunk by chunk."""
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    columns = [c.name for c in query.selected_columns]
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        chunks = []
        while rows := cursor.fetchmany(_CHUNK):
            chunks.append(pd.DataFrame.from_records(rows, columns=columns))
        cursor.close()
    finally:
        connection.close()
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=columns)


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="ISO8601") if len(values) else pd.to_datetime(values)


def order_facts(engine: Engine) -> pd.DataFrame:
    """One row per order: ``order_id, customer_id, order_date, channel`` (the sales channel)."""
    o = schema.orders
    frame = _read(engine, select(o.c.order_id, o.c.customer_id, o.c.order_date, o.c.channel))
    frame["order_date"] = _dates(frame["order_date"])
    frame["channel"] = frame["channel"].astype("category")
    return frame


def order_line_revenue(engine: Engine) -> pd.DataFrame:
    """One row per order line: ``order_id, category, revenue`` with
    revenue = quantity × unit price × (1 − discount)."""
    ol = schema.order_lines
    revenue = (ol.c.quantity * ol.c.unit_price * (1 - ol.c.discount)).label("revenue")
    frame = _read(engine, select(ol.c.order_id, ol.c.category, revenue))
    frame["category"] = frame["category"].astype("category")
    frame["revenue"] = frame["revenue"].astype(float)
    return frame


def customer_facts(engine: Engine) -> pd.DataFrame:
    """One row per customer with signup and cancellation dates and the churn dimensions."""
    c = schema.customers
    frame = _read(engine, select(
        c.c.customer_id, c.c.signup_date, c.c.cancel_date, c.c.region, c.c.channel, c.c.segment, c.c.plan,
    ))
    for column in ("signup_date", "cancel_date"):
        frame[column] = _dates(frame[column])
    for column in ("region", "channel", "segment", "plan"):
        frame[column] = frame[column].astype("category")
    return frame


@contextmanager
def _connected(bind: Engine | Connection) -> Iterator[Connection]:
    """A connection: ``bind`` itself when it is one (inside the caller's transaction), else a new one."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as connection:
            yield connection


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def latest_order_date(engine: Engine | Connection) -> dt.date | None:
    """The newest order date in the store (None without orders); uses the date index."""
    with _connected(engine) as connection:
        return _as_date(connection.execute(select(func.max(schema.orders.c.order_date))).scalar())


def daily_line_counts(engine: Engine | Connection, start: dt.date) -> pd.Series:
    """Order lines per order date from ``start`` on, indexed by date (dates with lines only).

    Uses the order-line date index; ``engine`` may be a connection inside an open transaction.
    """
    ol = schema.order_lines
    query = (select(ol.c.order_date, func.count()).where(ol.c.order_date >= start)
             .group_by(ol.c.order_date).order_by(ol.c.order_date))
    with _connected(engine) as connection:
        rows = connection.execute(query).all()
    return pd.Series([int(n) for _, n in rows], index=pd.DatetimeIndex([_as_date(d) for d, _ in rows]),
                     name="lines", dtype="int64")


def latest_stream_order_date(engine: Engine | Connection) -> dt.date | None:
    """The newest order date written by the event stream (None when the stream applied no order).

    Stream rows carry ``source = 'stream:<name>'`` (``data.stream``); the newest stream order is
    found by walking the order-date index backwards, so a live stream answers at once.
    """
    o, events = schema.orders, schema.stream_events
    with _connected(engine) as connection:
        applied = connection.execute(select(events.c.event_id).where(events.c.status == "applied").limit(1)).first()
        if applied is None:
            return None
        value = connection.execute(select(o.c.order_date).where(o.c.source.like("stream:%"))
                                   .order_by(o.c.order_date.desc()).limit(1)).scalar()
    return _as_date(value)


def partial_day_totals(engine: Engine | Connection, after: dt.date) -> pd.DataFrame:
    """Per order date after ``after``: ``date, revenue, orders, lines, last_change`` (newest row change)."""
    ol = schema.order_lines
    revenue = func.sum(ol.c.quantity * ol.c.unit_price * (1 - ol.c.discount))
    query = (select(ol.c.order_date, revenue, func.count(func.distinct(ol.c.order_id)), func.count(),
                    func.max(ol.c.updated_at))
             .where(ol.c.order_date > after).group_by(ol.c.order_date).order_by(ol.c.order_date))
    with _connected(engine) as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(
        {"date": pd.to_datetime([str(_as_date(r[0])) for r in rows]), "revenue": [float(r[1]) for r in rows],
         "orders": [int(r[2]) for r in rows], "lines": [int(r[3]) for r in rows],
         "last_change": pd.to_datetime([str(r[4]) for r in rows])},
        columns=["date", "revenue", "orders", "lines", "last_change"])


def daily_revenue_since(
    engine: Engine, start: dt.date, region: str | None = None, category: str | None = None,
    channel: str | None = None,
) -> pd.DataFrame:
    """Revenue per order date from ``start`` on (dates with sales only), optionally filtered.

    Uses the order-line date index, so its cost follows the days asked for, not the store size.
    """
    ol, o, c = schema.order_lines, schema.orders, schema.customers
    revenue = func.sum(ol.c.quantity * ol.c.unit_price * (1 - ol.c.discount)).label("revenue")
    query = select(ol.c.order_date, revenue).where(ol.c.order_date >= start)
    if region or channel:
        query = query.join(o, o.c.order_id == ol.c.order_id)
    if region:
        query = query.join(c, c.c.customer_id == o.c.customer_id).where(c.c.region == region)
    if channel:
        query = query.where(o.c.channel == channel)
    if category:
        query = query.where(ol.c.category == category)
    with engine.connect() as connection:
        rows = connection.execute(query.group_by(ol.c.order_date).order_by(ol.c.order_date)).all()
    frame = pd.DataFrame(rows, columns=["date", "revenue"])
    frame["date"] = _dates(frame["date"].astype(str) if len(frame) else frame["date"])
    frame["revenue"] = frame["revenue"].astype(float)
    return frame


def _through_date(through: dt.date | str | None) -> dt.date | None:
    """``through`` as a date (None stays None); a bad value gets a message naming the expected form."""
    if through is None or (isinstance(through, dt.date) and not isinstance(through, dt.datetime)):
        return through
    if isinstance(through, dt.datetime):
        return through.date()
    try:
        return dt.date.fromisoformat(str(through).strip()[:10])
    except ValueError:
        raise ValueError(f"through={through!r} is not a date; give an ISO date such as 2025-10-31") from None


def daily_sales(engine: Engine, through: dt.date | str | None = None) -> pd.DataFrame:
    """Sales per day, customer region and product category: ``ds, region, category, revenue, units``.

    Only (day, region, category) cells with sales appear; revenue is net of discounts. With ``through``
    (an ISO date or a date) no order line dated after it is read: the SQL itself stops there.
    """
    ol, o, c = schema.order_lines, schema.orders, schema.customers
    revenue = func.sum(ol.c.quantity * ol.c.unit_price * (1 - ol.c.discount)).label("revenue")
    query = (
        select(ol.c.order_date.label("ds"), c.c.region, ol.c.category, revenue, func.sum(ol.c.quantity).label("units"))
        .select_from(ol.join(o, o.c.order_id == ol.c.order_id).join(c, c.c.customer_id == o.c.customer_id))
        .group_by(ol.c.order_date, c.c.region, ol.c.category)
    )
    if (last := _through_date(through)) is not None:
        query = query.where(ol.c.order_date <= last)
    frame = _read(engine, query)
    frame["ds"] = _dates(frame["ds"].astype(str) if len(frame) else frame["ds"])
    return frame.astype({"region": str, "category": str, "revenue": float, "units": float})


def daily_marketing_spend(engine: Engine, through: dt.date | str | None = None) -> pd.DataFrame:
    """Total marketing spend per day over every campaign: ``ds, spend`` (days with spend only).

    With ``through`` (an ISO date or a date) no spend dated after it is read.
    """
    m = schema.marketing_daily
    query = select(m.c.date.label("ds"), func.sum(m.c.spend).label("spend")).group_by(m.c.date)
    if (last := _through_date(through)) is not None:
        query = query.where(m.c.date <= last)
    frame = _read(engine, query)
    frame["ds"] = _dates(frame["ds"].astype(str) if len(frame) else frame["ds"])
    return frame.astype({"spend": float}).sort_values("ds", ignore_index=True)


def promotion_calendar(engine: Engine) -> pd.DataFrame:
    """Every promotion, past and planned: ``promo_id, name, start_date, end_date, discount, category``
    (category None = sitewide)."""
    p = schema.promotions
    frame = _read(engine, select(p.c.promo_id, p.c.name, p.c.start_date, p.c.end_date, p.c.discount, p.c.category))
    for column in ("start_date", "end_date"):
        frame[column] = _dates(frame[column].astype(str) if len(frame) else frame[column])
    frame["category"] = frame["category"].astype(object).where(frame["category"].notna(), None)
    return frame.astype({"discount": float}).sort_values("start_date", ignore_index=True)


CALENDAR_EVENT_COLUMNS: tuple[str, ...] = ("name", "kind", "start_date", "end_date", "region", "category",
                                           "expected_lift")


def calendar_events(engine: Engine) -> pd.DataFrame:
    """Every commercial day and one-off event analysts entered, past and planned, ordered by start date:
    ``name, kind, start_date, end_date, region, category, expected_lift``.

    ``kind`` is holiday, commercial or one_off; dates are datetime64 (``end_date`` inclusive); region and
    category None = everywhere; ``expected_lift`` a relative lift (0.3 = +30 %), NaN = unknown. An empty
    store gives an empty frame with these columns.
    """
    e = schema.calendar_events
    frame = _read(engine, select(*(e.c[column] for column in CALENDAR_EVENT_COLUMNS)).order_by(e.c.start_date, e.c.name))
    for column in ("start_date", "end_date"):
        frame[column] = _dates(frame[column].astype(str) if len(frame) else frame[column])
    for column in ("name", "kind", "region", "category"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame.astype({"expected_lift": float})


def order_revenue(engine: Engine) -> pd.DataFrame:
    """One row per order: ``order_id, customer_id, order_date, revenue`` (net of discounts)."""
    o, ol = schema.orders, schema.order_lines
    revenue = func.sum(ol.c.quantity * ol.c.unit_price * (1 - ol.c.discount)).label("revenue")
    query = (select(o.c.order_id, o.c.customer_id, o.c.order_date, revenue)
             .select_from(o.join(ol, ol.c.order_id == o.c.order_id))
             .group_by(o.c.order_id, o.c.customer_id, o.c.order_date))
    frame = _read(engine, query)
    frame["order_date"] = _dates(frame["order_date"].astype(str) if len(frame) else frame["order_date"])
    return frame.astype({"revenue": float}).sort_values(["order_date", "order_id"], ignore_index=True)


def support_ticket_facts(engine: Engine) -> pd.DataFrame:
    """One row per support ticket: ``customer_id, opened_date, resolved_date`` (NaT while open), ``priority,
    satisfaction`` (NaN = not surveyed)."""
    t = schema.support_tickets
    frame = _read(engine, select(t.c.customer_id, t.c.opened_date, t.c.resolved_date, t.c.priority,
                                 t.c.satisfaction))
    frame["opened_date"] = _dates(frame["opened_date"].astype(str) if len(frame) else frame["opened_date"])
    frame["resolved_date"] = _dates(frame["resolved_date"])
    return frame.astype({"satisfaction": float})
