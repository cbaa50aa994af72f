"""Sentences from facts: signs, plurals, currency, zero, and the number guard."""
from __future__ import annotations

import pytest

from analytics.insights import language as lang


def test_signed_money_writes_the_sign_and_the_currency():
    assert lang.signed_money(-41_230) == "\u2212$41.23k"
    assert lang.signed_money(3_100) == "+$3.10k"
    assert lang.signed_money(812.4) == "+$812.40"
    assert lang.signed_money(-2_500_000) == "\u2212$2.50M"
    assert lang.signed_money(0) == "$0.00"


def test_verbs_follow_the_sign_and_zero_is_flat():
    assert lang.change_verb(-0.082) == "fell"
    assert lang.change_verb(0.01) == "rose"
    assert lang.change_verb(0.0) == "was flat"
    assert lang.percent_change(-0.0823) == "8.2%"


@pytest.mark.parametrize("n, noun, expected", [(1, "customer", "1 customer"), (2, "customer", "2 customers"),
                                               (0, "order", "0 orders"), (1234, "customer", "1,234 customers"),
                                               (-1, "day", "1 day"), (3, "category", "3 categories")])
def test_quantity_has_the_right_plural(n, noun, expected):
    assert lang.quantity(n, noun) == expected


def test_a_missing_number_is_refused():
    with pytest.raises(ValueError, match="cannot write"):
        lang.signed_money(float("nan"))


def test_write_fills_facts_and_refuses_unknown_placeholders():
    facts = {"change": lang.fact("revenue change", -41_230.0, "currency", shown=lang.signed_money(-41_230.0)),
             "pct": lang.fact("revenue change %", -0.082, "percent", shown=lang.percent_change(-0.082))}
    text = lang.write("{metric} {verb} {pct} ({change}).", facts, metric="revenue", verb="fell")
    assert text == "Revenue fell 8.2% (\u2212$41.23k)."
    assert lang.check_sentence(text, facts.values()) == ()
    with pytest.raises(KeyError, match="neither a fact"):
        lang.write("{metric} {verb} {size}", facts, metric="revenue", verb="fell")


def test_the_guard_catches_a_wrong_number_a_wrong_direction_and_a_foreign_name():
    facts = [lang.fact("revenue change", -41_230.0, "currency", shown=lang.signed_money(-41_230.0)),
             lang.fact("driver", "EMEA", "text", filters={"region": "EMEA"})]
    assert lang.check_sentence("Revenue fell by \u2212$41.23k in EMEA.", facts) == ()
    assert any("42" in p for p in lang.check_sentence("Revenue fell by \u2212$42.00k in EMEA.", facts))
    assert any("rose" in p for p in lang.check_sentence("Revenue rose by $41.23k in EMEA.", facts))
    assert any("APAC" in p for p in lang.check_sentence("Revenue fell by \u2212$41.23k in APAC.", facts))
