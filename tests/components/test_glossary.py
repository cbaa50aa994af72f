"""Glossary terms: every definition is plain words; term() is focusable, titled, with a local icon."""
from __future__ import annotations

import pytest
from dash import html

from components.glossary import DEFINITIONS, definition, term

REQUIRED = ["MASE", "sMAPE", "SHAP", "Brier", "CLV", "P(alive)", "AUC", "calibration", "hazard ratio", "MinT",
            "conformal interval", "prediction interval", "backtest", "ensemble weight", "churn", "AOV",
            "active customer"]


@pytest.mark.parametrize("name", REQUIRED)
def test_every_analyst_term_has_a_short_definition(name):
    text = definition(name)
    assert 40 <= len(text) <= 320 and text.endswith(".")
    assert text.count(". ") <= 2, "one or two sentences"


def test_spellings_resolve_to_the_same_definition_and_unknown_terms_list_the_known_ones():
    assert definition("P(alive)") == definition("p_alive") == definition("p alive") == DEFINITIONS["p_alive"]
    assert definition("Intervals") == DEFINITIONS["prediction_interval"]
    with pytest.raises(KeyError, match="no definition for 'flux'; terms are active_customer, aov, "):
        definition("flux")


def test_term_is_a_focusable_span_with_title_icon_and_tooltip():
    span = term("MASE")
    assert isinstance(span, html.Span) and span.className == "nf-term" and span.tabIndex == "0"
    assert span.title == DEFINITIONS["mase"]
    label, icon, tip = span.children
    assert label == "MASE"
    assert "bi-info-circle" in icon.className and icon.to_plotly_json()["props"]["aria-hidden"] == "true"
    assert tip.children == DEFINITIONS["mase"] and tip.role == "tooltip"
    assert term("Weights", "ensemble_weight").title == DEFINITIONS["ensemble_weight"]
    assert term("Custom", text="Said here.").title == "Said here."
