"""The retention facts read from the store equal those built from the generated tables in memory."""
from __future__ import annotations

import pandas as pd

from analytics.retention import facts_from_tables, load_retention_facts


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, ignore_index=True)


def test_store_facts_equal_the_in_memory_facts(written_sample):
    stored = load_retention_facts(written_sample.engine)
    memory = facts_from_tables(written_sample.dataset.tables)
    assert stored.as_of == memory.as_of
    customers = ["customer_id", "signup_date", "cancel_date", "region", "channel", "segment", "plan"]
    pd.testing.assert_frame_equal(_sorted(stored.customers, ["customer_id"])[customers],
                                  _sorted(memory.customers, ["customer_id"])[customers], check_dtype=False)
    pd.testing.assert_frame_equal(_sorted(stored.orders, ["order_id"]), _sorted(memory.orders, ["order_id"]),
                                  check_dtype=False, rtol=1e-9)
    keys = ["customer_id", "opened_date", "priority", "satisfaction", "resolved_date"]
    pd.testing.assert_frame_equal(_sorted(stored.tickets, keys)[keys], _sorted(memory.tickets, keys)[keys],
                                  check_dtype=False)
    assert stored.tickets["resolved_date"].notna().any()
    resolved = stored.tickets.dropna(subset=["resolved_date"])
    assert (resolved["resolved_date"] >= resolved["opened_date"]).all()
