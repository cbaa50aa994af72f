"""Churn reasons in plain words: every feature the model can emit has a phrasing, and zeros read naturally."""
from __future__ import annotations

import pandas as pd
import pytest

from analytics.retention.churn.reasons import feature_phrase, reason_text
from analytics.retention.churn import churn_features
from analytics.retention.facts import facts_from_tables
from data.sample import SampleConfig, generate_sample


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    facts = facts_from_tables(generate_sample(SampleConfig(customers=300, seed=11)).tables)
    return churn_features(facts, facts.as_of)


def test_every_feature_the_model_can_emit_is_phrased_for_zero_and_non_zero_values(features):
    for feature in features.columns:
        for value in (0.0, 1.0, float(features[feature].max())):
            text = feature_phrase(feature, value)
            assert text and "_" not in text and "=" not in text, (feature, value, text)


def test_a_new_feature_without_phrasing_is_refused():
    with pytest.raises(KeyError, match="no plain-words phrasing for churn feature 'logins_30d'"):
        feature_phrase("logins_30d", 3)


@pytest.mark.parametrize(("feature", "value", "direction", "expected"), [
    ("tickets_365d", 3, "raises risk", "3 support tickets in the last year raises risk"),
    ("tickets_365d", 1, "raises risk", "1 support ticket in the last year raises risk"),
    ("plan_Plus", 1, "lowers risk", "On the Plus plan lowers risk"),
    ("plan_Plus", 0, "raises risk", "Not on the Plus plan raises risk"),
    ("avg_order_value", 0, "raises risk", "No orders yet raises risk"),
    ("avg_order_value", 84.6, "lowers risk", "$85 per order on average lowers risk"),
    ("orders_per_year", 0, "raises risk", "No orders yet raises risk"),
    ("orders_per_year", 4.25, "lowers risk", "About 4.2 orders a year lowers risk"),
    ("orders_90d", 0, "raises risk", "No orders in the last 90 days raises risk"),
    ("revenue_365d", 1234.4, "lowers risk", "$1,234 spent in the last year lowers risk"),
    ("days_since_last_order", 365, "raises risk", "No order for a year or more raises risk"),
    ("days_since_last_order", 45, "raises risk", "No order for 45 days raises risk"),
    ("tenure_days", 20, "raises risk", "A customer for 20 days raises risk"),
    ("tenure_days", 812, "lowers risk", "A customer for 2.2 years lowers risk"),
    ("region_North America", 1, "raises risk", "In North America raises risk"),
    ("channel_Web", 0, "lowers risk", "Not acquired through Web lowers risk"),
    ("satisfaction_missing", 1, "lowers risk", "No answered satisfaction survey yet lowers risk"),
    ("mean_satisfaction", 2.0, "raises risk", "An average support satisfaction of 2.0 of 5 raises risk"),
])
def test_reasons_read_as_sentences(feature, value, direction, expected):
    assert reason_text(feature, value, direction) == expected
