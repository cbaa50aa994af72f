"""The guard finds every number, date and name a model's text states that the facts do not hold."""
from __future__ import annotations

import pytest

from analytics.chat import Fact, check_text
from analytics.chat.answers.format import display
from analytics.chat.guard import dates_in, numbers_in
from data.vocabulary import CATEGORIES, CHANNELS, REGIONS, SEGMENTS

VOCABULARY = (*REGIONS, *SEGMENTS, *CHANNELS, *CATEGORIES)
PERIOD = ("2026-09-01", "2026-09-30")
EMEA = {"region": "EMEA"}
FACTS = (
    Fact("revenue", 1_234_567.89, "currency", display(1_234_567.89, "currency"), PERIOD, EMEA),
    Fact("orders", 3_456, "count", "3,456", PERIOD, EMEA),
    Fact("churn rate", 0.0423, "percent", "4.2%", PERIOD, EMEA),
    Fact("revenue change", -0.109, "percent", "-10.9%", PERIOD, EMEA),
    Fact("average order value", 357.21, "currency", "$357.21", PERIOD, EMEA),
)
TEMPLATE = "Revenue for EMEA was $1.23M from 2026-09-01 to 2026-09-30, down 10.9% on the previous period."


@pytest.mark.parametrize("text", [
    TEMPLATE,
    "In EMEA, revenue reached about $1.2 million in September 2026 across 3,456 orders.",
    "EMEA brought in $1,234,568 in September; revenue fell 10.9%, churn was 4.2% and orders averaged $357.",
    "Between 1 Sep and 30 Sep, EMEA's revenue was roughly $1.23M, a drop of about 11%.",
    "Churn in EMEA ran at 4% during September.",
    "Largest of all: EMEA, with $1.23M in September.",
])
def test_a_correct_paraphrase_passes(text):
    assert check_text(text, FACTS, VOCABULARY, trusted=(TEMPLATE,)) == ()


@pytest.mark.parametrize("text, problem", [
    ("Revenue for EMEA was $1.31M in September 2026.", "'$1.31M'"),
    ("EMEA had 3,465 orders in September.", "'3,465'"),
    ("Churn in EMEA was 5.2% in September.", "'5.2%'"),
    ("Revenue for EMEA was $1.23M from 2026-08-01 to 2026-09-30.", "'2026-08-01'"),
    ("Revenue for EMEA was $1.23M in October 2026.", "'October 2026'"),
    ("Revenue for EMEA was $1.23M on 15 Sep.", "'15 Sep'"),
    ("Revenue for APAC was $1.23M in September.", "'APAC'"),
    ("Revenue for Antarctica was $1.23M in September.", "'Antarctica'"),
    ("Antarctica revenue was $1.23M in September.", "'Antarctica'"),
    ("Revenue for EMEA was $1.23M, mostly from the Gadgets Plus line.", "'Gadgets Plus'"),
])
def test_a_wrong_number_date_or_name_is_a_problem(text, problem):
    problems = check_text(text, FACTS, VOCABULARY, trusted=(TEMPLATE,))
    assert any(problem in p for p in problems), problems


def test_numbers_are_read_with_their_suffix_separators_and_precision():
    read = {written: (value, tolerance, pct) for written, value, tolerance, pct in
            numbers_in("$1.2M, 3,456 orders, 4.25%, 12k, 0.67 and 2 billion")}
    assert read["$1.2M"] == pytest.approx((1.2e6, 0.05e6, False))
    assert read["3,456"] == (3456.0, 0.5, False)
    assert read["4.25%"] == pytest.approx((4.25, 0.005, True))
    assert read["12k"] == (12_000.0, 500.0, False)
    assert read["0.67"] == pytest.approx((0.67, 0.005, False))
    assert read["2 billion"] == (2e9, 0.5e9, False)


def test_dates_are_blanked_before_numbers_are_read():
    found, rest = dates_in("From 2026-09-01 to Sep 30, 2026, and on Monday, in March")
    kinds = [key[0] for _, key in found]
    assert kinds.count("day") == 2 and "weekday" in kinds and "month" in kinds
    assert numbers_in(rest) == []


def test_a_weekday_must_be_one_of_the_days_named():
    day = (Fact("revenue", 10.0, "currency", "$10.00", ("2026-09-07", "2026-09-07")),)  # a Monday
    assert check_text("On Monday revenue was $10.00.", day, VOCABULARY) == ()
    assert check_text("On Tuesday revenue was $10.00.", day, VOCABULARY)


def test_vocabulary_comes_from_a_parser_vocabulary_too():
    class Names:
        def names(self):
            return ("Lunar",)
    facts = (Fact("revenue", 5.0, "currency", "$5.00", None, {"region": "Lunar"}),)
    assert check_text("Lunar revenue was $5.00.", facts, Names()) == ()
    assert check_text("Martian revenue was $5.00.", facts, Names())


def test_a_name_ending_in_s_is_read_whole():
    facts = (Fact("revenue", 5.0, "currency", "$5.00", None, {"category": "Sports"}),
             Fact("churn driver 1", "plan Plus", "text", "plan Plus"))
    assert check_text("Sports revenue was $5.00; being on Plus matters most.", facts, VOCABULARY) == ()


@pytest.mark.parametrize("text, accepted", [
    ("Revenue for EMEA fell 10.9% in September.", True),
    ("Revenue for EMEA rose 10.9% in September.", False),
    ("Revenue for EMEA grew to $1.23M in September.", False),
])
def test_a_direction_against_the_change_is_a_problem(text, accepted):
    assert (check_text(text, FACTS, VOCABULARY) == ()) is accepted


@pytest.mark.parametrize("text, accepted", [
    ("Customer 123 is low risk: 3.7% against a base rate of 8.6%.", True),
    ("Customer 123 is high risk because of their churn probability.", False),
])
def test_a_risk_level_other_than_the_models_is_a_problem(text, accepted):
    facts = (Fact("customer", 123, "text", "123"), Fact("risk", "low", "text", "low"),
             Fact("churn probability", 0.037, "percent", "3.7%"),
             Fact("churn model base rate", 0.086, "percent", "8.6%"))
    assert (check_text(text, facts, VOCABULARY) == ()) is accepted


@pytest.mark.parametrize("text", [
    "In EMEA, revenue fell 4.2% in September.",             # 4.2% is the churn rate
    "Churn in EMEA was 10.9% in September.",               # 10.9% is revenue's change
    "Revenue in EMEA came to 3,456 in September.",         # 3,456 is the number of orders
])
def test_a_true_number_stated_for_the_wrong_metric_is_a_problem(text):
    problems = check_text(text, FACTS, VOCABULARY, trusted=(TEMPLATE,))
    assert any("is stated for" in p and "belongs to" in p for p in problems), problems


def test_a_number_of_no_metric_family_may_go_with_any_metric():
    facts = (*FACTS, Fact("hazard ratio · Premium", 1.8, "score", "1.8", PERIOD, EMEA))
    assert check_text("Churn in EMEA is 1.8 times as likely on Premium.", facts, VOCABULARY) == ()
