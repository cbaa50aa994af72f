"""data.ingest.validation: every rule names the column, the value and the fix; valid rows pass untouched."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data.ingest.validation import References, ValidationRules, batch_problem, empty_cell_rates, unreadable_values, validate
from data.vocabulary import REGIONS
from tests.data.ingest.helpers import TODAY, customer, line, marketing_row, product, source_frame, ticket

RULES = ValidationRules(today=TODAY)
KNOWN = References(customers=frozenset({1, 2}), products={1: "Home", 2: "Beauty"}, promotions=frozenset({7}))


def _reasons(entity: str, rows: list[dict], references: References = KNOWN, rules: ValidationRules = RULES,
             errors: list[dict] | None = None) -> dict[int, str]:
    """Row number -> reason of every invalid row."""
    checked = validate(source_frame(entity, rows, errors=errors), references, rules)
    return {position + 1: reason for position, reason in checked.reasons.items()}


def test_valid_rows_pass_unchanged():
    rows = [line(1, quantity=3, unit_price=9.99, discount=0.25), line(2, customer_id=2, product_id=2, promo_id=7)]
    checked = validate(source_frame("orders", rows), KNOWN, RULES)
    assert checked.reasons.empty
    assert checked.valid["quantity"].tolist() == [3, 2]
    assert checked.valid["unit_price"].tolist() == [9.99, 20.0]
    assert checked.valid["discount"].tolist() == [0.25, 0.0]
    assert all(result.passed for result in checked.checks)


def test_negative_quantity_names_value_bound_and_fix():
    reasons = _reasons("orders", [line(1), line(2, quantity=-2)])
    assert list(reasons) == [2]
    assert "`quantity` = -2 is out of range: it must be >= 1" in reasons[2]
    assert "book returns separately" in reasons[2]


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("unit_price", -1.0, "`unit_price` = -1.0 is out of range: it must be >= 0 and < 1,000,000"),
        ("unit_price", 2_000_000.0, "`unit_price` = 2000000.0 is out of range"),
        ("discount", 1.0, "`discount` = 1.0 is out of range: it must be >= 0 and < 1"),
        ("discount", -0.1, "`discount` = -0.1 is out of range"),
    ],
)
def test_price_and_discount_bounds(column, value, expected):
    reasons = _reasons("orders", [line(1, **{column: value})])
    assert expected in reasons[1]


def test_price_bound_is_configurable():
    rules = ValidationRules(today=TODAY, max_price=100.0)
    assert "< 100" in _reasons("orders", [line(1, unit_price=150.0)], rules=rules)[1]


def test_future_dates_beyond_the_tolerance_are_rejected():
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    later = (TODAY + dt.timedelta(days=2)).isoformat()
    reasons = _reasons("orders", [line(1, order_date=tomorrow), line(2, order_date=later)])
    assert list(reasons) == [2]
    assert f"`order_date` = {later} is in the future" in reasons[2]
    assert f"latest accepted date is {tomorrow}" in reasons[2]
    strict = ValidationRules(today=TODAY, future_tolerance_days=0)
    assert list(_reasons("orders", [line(1, order_date=tomorrow)], rules=strict)) == [1]


def test_updated_at_may_fall_anywhere_on_the_last_allowed_day():
    last_day = f"{(TODAY + dt.timedelta(days=1)).isoformat()} 23:59:00"
    after = f"{(TODAY + dt.timedelta(days=2)).isoformat()} 00:00:01"
    reasons = _reasons("customers", [customer(1, updated_at=last_day), customer(2, updated_at=after)])
    assert list(reasons) == [2] and "`updated_at`" in reasons[2]


def test_unknown_region_lists_the_valid_ones():
    reason = _reasons("customers", [customer(1, region="Mars")])[1]
    assert reason == f"`region` = 'Mars' is not a known region; valid values are {', '.join(REGIONS)}"


@pytest.mark.parametrize(("column", "value"), [("segment", "Whale"), ("channel", "Fax"), ("plan", "Gold")])
def test_customer_vocabulary(column, value):
    assert f"`{column}` = '{value}' is not a known {column}" in _reasons("customers", [customer(1, **{column: value})])[1]


def test_product_category_vocabulary_and_launch_dates_may_be_ahead():
    ahead = (TODAY + dt.timedelta(days=90)).isoformat()
    reasons = _reasons("products", [product(1, category="Toys"), product(2, launch_date=ahead)])
    assert list(reasons) == [1] and "`category` = 'Toys' is not a known category" in reasons[1]


def test_cancel_date_before_signup_date():
    reason = _reasons("customers", [customer(1, signup_date="2025-03-01", cancel_date="2025-02-01")])[1]
    assert reason.startswith("`signup_date` = 2025-03-01 is after `cancel_date` = 2025-02-01")


def test_marketing_funnel_order():
    reasons = _reasons("marketing", [marketing_row("2025-05-01", clicks=2000),
                                     marketing_row("2025-05-02", conversions=60),
                                     marketing_row("2025-05-03", spend=-5.0)])
    assert "`clicks` = 2000 exceeds `impressions` = 1000" in reasons[1]
    assert "`conversions` = 60 exceeds `clicks` = 50" in reasons[2]
    assert "`spend` = -5.0 is out of range" in reasons[3]


def test_ticket_rules():
    reasons = _reasons("tickets", [ticket(1, satisfaction=9), ticket(2, resolved_date="2025-06-01"), ticket(3)])
    assert "`satisfaction` = 9 is out of range: it must be >= 1 and <= 5" in reasons[1]
    assert "`opened_date` = 2025-07-01 is after `resolved_date` = 2025-06-01" in reasons[2]
    assert 3 not in reasons


def test_duplicate_keys_quarantine_every_copy_and_name_the_other_rows():
    rows = [line(5, line_number=1), line(6, line_number=1), line(5, line_number=1), line(5, line_number=2),
            line(5, line_number=1)]
    reasons = _reasons("orders", rows)
    assert sorted(reasons) == [1, 3, 5]
    assert reasons[1] == "duplicate key order_id=5,line_number=1 also on rows 3, 5"
    assert reasons[3] == "duplicate key order_id=5,line_number=1 also on rows 1, 5"


def test_line_numbers_follow_appearance_within_each_order():
    checked = validate(source_frame("orders", [line(5), line(6), line(5), line(5)]), KNOWN, RULES)
    assert checked.frame["line_number"].tolist() == [1, 1, 2, 3]


def test_an_order_numbers_all_its_lines_or_none():
    rows = [line(5, line_number=4), line(5), line(6), line(6), line(7, line_number=2)]
    checked = validate(source_frame("orders", rows), KNOWN, RULES)
    assert checked.frame["line_number"].tolist()[2:] == [1, 2, 2]
    assert checked.reasons.to_dict() == {1: "`line_number` is empty while other lines of its order are numbered; "
                                            "number every line of an order or none"}


def test_orphan_orders_name_the_unknown_customer_and_product():
    reasons = _reasons("orders", [line(1, customer_id=99), line(2, product_id=42), line(3, promo_id=8), line(4)])
    assert "`customer_id` = 99 is not a known customer (not in the store); ingest the customer first" in reasons[1]
    assert "`product_id` = 42 is not a known product" in reasons[2]
    assert "`promo_id` = 8 is not a known promotion" in reasons[3]
    assert 4 not in reasons


def test_tickets_need_known_customers():
    assert "`customer_id` = 5 is not a known customer" in _reasons("tickets", [ticket(1, customer_id=5)])[1]


def test_lines_of_one_order_must_agree_on_customer_and_date():
    rows = [line(9, customer_id=1), line(9, customer_id=2), line(10), line(11, order_date="2025-06-01"),
            line(11, order_date="2025-06-02")]
    reasons = _reasons("orders", rows)
    assert sorted(reasons) == [1, 2, 4, 5]
    assert "order_id=9: its lines disagree on customer_id (1 on row 1, 2 on row 2)" in reasons[1]
    assert "disagree on order_date (2025-06-01 on row 4, 2025-06-02 on row 5)" in reasons[5]


def test_unreadable_cells_keep_the_connectors_reason_and_are_not_reported_as_empty():
    errors = [{"row_number": 2, "column": "quantity", "value": "two", "reason": "not a whole number"}]
    rows = [line(1), line(2, quantity=None)]
    reasons = _reasons("orders", rows, errors=errors)
    assert reasons == {2: "`quantity` = 'two': not a whole number"}


def test_empty_cells_count_only_truly_empty_cells_and_unreadable_values_get_their_own_wording():
    errors = [{"row_number": r, "column": "unit_price", "value": "n/a", "reason": "not a number: text"}
              for r in (4, 9, 11)] + [{"row_number": 2, "column": "quantity", "value": "two",
                                       "reason": "not a whole number"}]
    rows = [line(i, unit_price=None if i in (4, 9, 11) else 10.0, quantity=None if i == 2 else 1,
                 promo_id=None if i > 6 else 7) for i in range(1, 13)]
    source = source_frame("orders", rows, errors=errors)
    rates = empty_cell_rates(source)
    assert rates["unit_price"] == 0.0 and rates["quantity"] == 0.0  # unreadable, not empty
    assert rates["promo_id"] == 0.5  # six lines really have no promotion
    assert unreadable_values(source) == (
        "3 values in column `unit_price` are not numbers, rows 4, 9, 11 (first: 'n/a', not a number: text); "
        "those rows are in quarantine",
        "1 value in column `quantity` is not a whole number, row 2 (first: 'two', not a whole number); "
        "those rows are in quarantine")
    assert unreadable_values(source_frame("orders", [line(1)])) == ()


def test_empty_required_cell():
    assert _reasons("customers", [customer(1, email=None)]) == {1: "`email` is empty; it is required for customers"}


def test_sku_cannot_move_to_another_product():
    references = References(skus={"SKU-1": 1})
    reasons = _reasons("products", [product(3, sku="SKU-1"), product(4, sku="X"), product(5, sku="X")], references)
    assert "`sku` = 'SKU-1' already belongs to product_id 1" in reasons[1]
    assert "several product_ids in this batch" in reasons[2] and 3 in reasons


def test_given_campaign_ids_must_match_the_store():
    references = References(campaigns={"Spring push": 3, "Winter": 4})
    rows = [marketing_row("2025-05-01", campaign_id=5), marketing_row("2025-05-02", campaign="New", campaign_id=4),
            marketing_row("2025-05-03", campaign="Winter", campaign_id=4)]
    reasons = _reasons("marketing", rows, references)
    assert "campaign 'Spring push' is campaign_id 3 in the store, not 5" in reasons[1]
    assert "campaign_id 4 already belongs to campaign 'Winter'" in reasons[2]
    assert 3 not in reasons


def test_checks_record_how_many_rows_failed():
    checked = validate(source_frame("orders", [line(1, quantity=-1), line(2, quantity=0), line(3)]), KNOWN, RULES)
    by_name = {(result.check, result.column): result for result in checked.checks}
    assert by_name[("range", "quantity")].failed_rows == 2
    assert by_name[("range", "quantity")].checked_rows == 3
    assert by_name[("reference", "customer_id")].passed


def test_batch_problems_stop_validation():
    missing = source_frame("orders", [{k: v for k, v in line(1).items() if k != "quantity"}])
    assert "missing required column(s) quantity for orders" in batch_problem(missing)
    with pytest.raises(ValueError, match="missing required column"):
        validate(missing, KNOWN, RULES)
    frame = source_frame("orders", [line(1)])
    wrong = type(frame)("orders", "raw", frame.frame.astype({"quantity": "float64"}), frame.row_numbers)
    assert "column quantity has dtype float64, expected Int64" in batch_problem(wrong)
    empty = type(frame)("orders", "empty.csv", frame.frame.iloc[:0], frame.row_numbers.iloc[:0])
    assert batch_problem(empty) == "empty.csv has no data rows"


def test_today_defaults_to_the_current_date():
    assert ValidationRules().latest_allowed() == pd.Timestamp(dt.date.today()) + pd.Timedelta(days=1)


# --- plausible dates (issue 13, item 7) ------------------------------------------------------------------------------
# Every date column of every entity: (entity, row builder, column, may it lie ahead as a plan?)
_DATE_COLUMNS = [
    ("orders", line, "order_date", False),
    ("orders", line, "updated_at", False),
    ("customers", customer, "signup_date", False),
    ("customers", lambda i, **c: customer(i, signup_date="2000-01-01", **c), "cancel_date", False),
    ("products", product, "launch_date", True),
    ("marketing", lambda i, **c: marketing_row("2025-06-01", campaign=f"C{i}", **c), "date", False),
    ("tickets", ticket, "opened_date", False),
    ("tickets", lambda i, **c: ticket(i, opened_date="2000-01-01", **c), "resolved_date", False),
    ("calendar", lambda i, **c: {"name": f"E{i}", "kind": "commercial", **c, "end_date": c["start_date"]},
     "start_date", True),
    ("calendar", lambda i, **c: {"name": f"E{i}", "kind": "commercial", "start_date": "2000-01-01", **c},
     "end_date", True),
    ("promotions", lambda i, **c: {"name": f"P{i}", "discount": 0.1, **c, "end_date": c["start_date"]},
     "start_date", True),
    ("promotions", lambda i, **c: {"name": f"P{i}", "start_date": "2000-01-01", "discount": 0.1, **c},
     "end_date", True),
]


@pytest.mark.parametrize(("entity", "row", "column", "planned"), _DATE_COLUMNS,
                         ids=[f"{e}.{c}" for e, _, c, _ in _DATE_COLUMNS])
def test_every_date_column_refuses_dates_before_the_earliest_accepted_date(entity, row, column, planned):
    reasons = _reasons(entity, [row(1, **{column: "1900-01-01"}), row(2, **{column: "2000-01-01"})])
    assert list(reasons) == [1], reasons
    assert f"`{column}` = 1900-01-01 is before the earliest accepted date 2000-01-01" in reasons[1]
    assert "FORESIGHT_EARLIEST_DATE" in reasons[1]


@pytest.mark.parametrize(("entity", "row", "column", "planned"), _DATE_COLUMNS,
                         ids=[f"{e}.{c}" for e, _, c, _ in _DATE_COLUMNS])
def test_planned_dates_may_lie_ahead_within_the_planning_horizon_and_others_not(entity, row, column, planned):
    rules = ValidationRules(today=TODAY, planned_days=365)
    within = (TODAY + dt.timedelta(days=365)).isoformat()
    beyond = (TODAY + dt.timedelta(days=366)).isoformat()
    reasons = _reasons(entity, [row(1, **{column: within}), row(2, **{column: beyond})], rules=rules)
    if planned:
        assert list(reasons) == [2], reasons
        assert f"`{column}` = {beyond} is too far ahead" in reasons[2]
        assert f"up to 365 days ahead (until {within}" in reasons[2] and "FORESIGHT_FUTURE_DAYS" in reasons[2]
    else:
        assert f"`{column}` = {within} is in the future" in reasons[1]


def test_the_earliest_date_is_a_setting():
    rules = ValidationRules(today=TODAY, earliest=dt.date(1990, 1, 1))
    reasons = _reasons("orders", [line(1, order_date="1995-05-05"), line(2, order_date="1989-12-31")], rules=rules)
    assert list(reasons) == [2] and "earliest accepted date 1990-01-01" in reasons[2]


def test_validation_rules_come_from_the_environment():
    from core.settings import validation_rules

    rules = validation_rules({"FORESIGHT_EARLIEST_DATE": "1995-01-01", "FORESIGHT_FUTURE_DAYS": "90"})
    assert (rules.earliest, rules.planned_days) == (dt.date(1995, 1, 1), 90)
    assert validation_rules({}) == ValidationRules()
    assert ValidationRules().earliest == dt.date(2000, 1, 1)
    with pytest.raises(ValueError, match=r"FORESIGHT_EARLIEST_DATE='1/1/1995' is not a date; use YYYY-MM-DD"):
        validation_rules({"FORESIGHT_EARLIEST_DATE": "1/1/1995"})
    with pytest.raises(ValueError, match=r"FORESIGHT_FUTURE_DAYS='soon' is not a whole number"):
        validation_rules({"FORESIGHT_FUTURE_DAYS": "soon"})


def test_the_command_line_applies_the_earliest_date_setting(tmp_path):
    import json
    import os
    import subprocess
    import sys

    from data import repo_root

    path = tmp_path / "marketing.csv"
    path.write_text("date,campaign,channel,spend,impressions,clicks,conversions\n"
                    "2010-05-01,Old,Web,10,100,5,1\n2024-05-01,New,Web,10,100,5,1\n")
    env = {**os.environ, "FORESIGHT_EARLIEST_DATE": "2020-01-01"}
    done = subprocess.run([sys.executable, "-m", "data", "ingest", "marketing", str(path), "--json",
                           "--database-url", f"sqlite:///{tmp_path / 'store.db'}"],
                          cwd=repo_root(), env=env, capture_output=True, text=True)
    summary = json.loads(done.stdout.splitlines()[-1])
    assert (done.returncode, summary["accepted"], summary["quarantined"]) == (3, 1, 1), done.stderr
    bad = subprocess.run([sys.executable, "-m", "data", "ingest", "marketing", str(path),
                          "--database-url", f"sqlite:///{tmp_path / 'store.db'}"],
                         cwd=repo_root(), env={**env, "FORESIGHT_EARLIEST_DATE": "May 2020"},
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "FORESIGHT_EARLIEST_DATE='May 2020' is not a date" in bad.stderr
