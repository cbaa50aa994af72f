"""Churn prediction on the 1,500-customer sample company (seed 7) and on tiny hand-made facts."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from analytics.retention.churn import (DIRECTIONS, RISK_MULTIPLES, ChurnModel, churn_features, churn_labels, churn_rate,
                             risk_bands, top_at_risk, train_churn)
from analytics.retention.facts import RetentionFacts, facts_from_tables
from data.sample import SampleConfig, generate_sample


@pytest.fixture(scope="module")
def facts() -> RetentionFacts:
    return facts_from_tables(generate_sample(SampleConfig(customers=1500, seed=7)).tables)


@pytest.fixture(scope="module")
def result(facts):
    return train_churn(facts, horizon_days=90, random_state=0)


def _replace(facts: RetentionFacts, **frames) -> RetentionFacts:
    parts = {"customers": facts.customers, "orders": facts.orders, "tickets": facts.tickets, **frames}
    return RetentionFacts(parts["customers"], parts["orders"], parts["tickets"], facts.as_of)


def _tiny(cancels: list[str | None], as_of: str = "2024-12-31") -> RetentionFacts:
    n = len(cancels)
    customers = pd.DataFrame({
        "customer_id": range(1, n + 1), "signup_date": pd.to_datetime(["2024-01-01"] * n),
        "cancel_date": pd.to_datetime(cancels), "region": "EMEA", "channel": "Web",
        "segment": ["SMB", "Consumer"] * (n // 2) + ["SMB"] * (n % 2), "plan": "Basic"})
    orders = pd.DataFrame({"order_id": range(1, n + 1), "customer_id": range(1, n + 1),
                           "order_date": pd.to_datetime(["2024-02-01"] * (n - 1) + [as_of]), "revenue": 10.0})
    tickets = pd.DataFrame({"customer_id": [1, 1], "opened_date": pd.to_datetime(["2024-03-01", "2024-05-01"]),
                            "resolved_date": pd.to_datetime(["2024-03-03", "2024-05-02"]),
                            "priority": ["urgent", "low"], "satisfaction": [2.0, np.nan]})
    return RetentionFacts(customers, orders, tickets, pd.Timestamp(as_of))


# ----- features and labels ---------------------------------------------------------------------------------

def test_features_cover_exactly_the_customers_active_at_the_cutoff(facts):
    cutoff = pd.Timestamp("2026-03-01")
    features = churn_features(facts, cutoff)
    c = facts.customers
    active = c[(c["signup_date"] <= cutoff) & (c["cancel_date"].isna() | (c["cancel_date"] > cutoff))]
    assert sorted(features.index) == sorted(active["customer_id"])
    assert features.notna().all().all()
    assert {"tenure_days", "orders_per_year", "tickets_per_year", "segment_SMB", "plan_Plus"} <= set(features.columns)
    assert (features["days_since_last_order"] <= 365).all()


def test_features_ignore_everything_after_the_cutoff(facts):
    cutoff = pd.Timestamp("2026-03-01")
    before = churn_features(facts, cutoff)
    orders, tickets, customers = facts.orders.copy(), facts.tickets.copy(), facts.customers.copy()
    later_orders = orders["order_date"] > cutoff
    orders.loc[later_orders, "revenue"] *= 50
    orders = pd.concat([orders, orders[later_orders].assign(order_id=lambda f: f["order_id"] + 10**7)])
    tickets.loc[tickets["opened_date"] > cutoff, ["priority", "satisfaction"]] = ["urgent", 1.0]
    # tickets open at the cutoff: their satisfaction is surveyed at the resolution, after the cutoff
    resolved_later = (tickets["opened_date"] <= cutoff) & ~(tickets["resolved_date"] <= cutoff)
    assert resolved_later.sum() > 5
    tickets.loc[resolved_later, "satisfaction"] = 6 - tickets.loc[resolved_later, "satisfaction"].fillna(1.0)
    future = customers["cancel_date"].isna() | (customers["cancel_date"] > cutoff)
    customers.loc[future, "cancel_date"] = cutoff + pd.Timedelta(days=1)  # everyone active cancels the next day
    after = churn_features(_replace(facts, orders=orders, tickets=tickets, customers=customers), cutoff)
    pd.testing.assert_frame_equal(before, after)
    assert later_orders.sum() > 1000  # the mutation touched plenty of data


def test_features_see_orders_up_to_and_including_the_cutoff(facts):
    cutoff = pd.Timestamp("2026-03-01")
    customer = int(churn_features(facts, cutoff).index[0])
    extra = pd.DataFrame({"order_id": [10**8], "customer_id": [customer], "order_date": [cutoff], "revenue": [99.0]})
    after = churn_features(_replace(facts, orders=pd.concat([facts.orders, extra])), cutoff)
    assert after.loc[customer, "days_since_last_order"] == 0
    assert after.loc[customer, "orders_90d"] == churn_features(facts, cutoff).loc[customer, "orders_90d"] + 1


def test_labels_mark_cancellations_inside_the_horizon_only():
    facts = _tiny(["2024-06-15", "2024-09-29", "2024-09-30", None, "2024-05-01"])
    labels = churn_labels(facts, pd.Timestamp("2024-07-01"), 90)  # window (Jul 1, Sep 29]
    assert labels.to_dict() == {2: 1, 3: 0, 4: 0}  # 1 and 5 cancelled before the cutoff


def test_tiny_features_fall_back_to_tenure_and_neutral_satisfaction():
    facts = _tiny([None, None, None])
    features = churn_features(facts, pd.Timestamp("2024-06-30"))
    assert features.loc[3, "orders_per_year"] == 0 and features.loc[3, "avg_order_value"] == 0
    # no order before the cutoff: counted from the first day of data (Feb 1), which is later than signup
    assert features.loc[3, "tenure_days"] == 181 and features.loc[3, "days_since_last_order"] == 150
    assert features.loc[1, "mean_satisfaction"] == 2 and features.loc[1, "satisfaction_missing"] == 0
    assert features.loc[2, "mean_satisfaction"] == 3 and features.loc[2, "satisfaction_missing"] == 1
    assert features.loc[1, "high_priority_tickets_365d"] == 1


def test_nobody_active_is_a_clear_error():
    with pytest.raises(ValueError, match="no customer is active at the cutoff 2023-06-01"):
        churn_features(_tiny([None, None]), pd.Timestamp("2023-06-01"))


def test_missing_columns_are_named():
    facts = _tiny([None, None])
    broken = _replace(facts, customers=facts.customers.drop(columns=["plan"]))
    with pytest.raises(ValueError, match=r"facts.customers lacks columns \['plan'\]"):
        churn_features(broken, pd.Timestamp("2024-06-01"))


def test_labels_after_the_last_day_are_refused():
    with pytest.raises(ValueError, match="ends after the data's last day"):
        churn_labels(_tiny([None, None]), pd.Timestamp("2024-12-01"), 90)


@pytest.mark.parametrize("cancel, what", [("2024-11-20", "all churned"), (None, "no churn")])
def test_one_class_windows_say_which_and_what_to_do(cancel, what):
    facts = _tiny([cancel] * 6)
    with pytest.raises(ValueError, match=f"{what}.*longer horizon_days or another cutoff"):
        train_churn(facts, horizon_days=30, snapshots=1)


# ----- the model ---------------------------------------------------------------------------------------------

def test_model_follows_the_estimator_contract(facts):
    X, y = churn_features(facts, pd.Timestamp("2026-01-01")), churn_labels(facts, pd.Timestamp("2026-01-01"), 120)
    model = ChurnModel(random_state=3, max_iter=20)
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(Exception, match="not fitted"):
        model.predict_proba(X)
    assert model.fit(X, y) is model
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(ChurnModel(random_state=3, max_iter=20).fit(X, y).predict_proba(X), proba)
    shuffled = X[X.columns[::-1]]
    np.testing.assert_allclose(model.predict_proba(shuffled), proba)


def test_model_names_bad_columns_and_labels(facts):
    X, y = churn_features(facts, pd.Timestamp("2026-01-01")), churn_labels(facts, pd.Timestamp("2026-01-01"), 120)
    with pytest.raises(ValueError, match=r"\['segment'\] are not numeric"):
        ChurnModel().fit(X.assign(segment="SMB"), y)
    with pytest.raises(ValueError, match=r"\['tenure_days'\] hold infinite"):
        ChurnModel().fit(X.assign(tenure_days=np.inf), y)
    with pytest.raises(ValueError, match="no churn"):
        ChurnModel().fit(X, y * 0)
    with pytest.raises(ValueError, match="calibration must be one of"):
        ChurnModel(calibration="platt").fit(X, y)
    with pytest.raises(ValueError, match=r"linear_weight must be a number in \[0, 1\].*or 'auto'"):
        ChurnModel(linear_weight=1.5).fit(X, y)
    model = ChurnModel(max_iter=10).fit(X, y)
    with pytest.raises(ValueError, match=r"missing \['tenure_days'\]"):
        model.predict_proba(X.drop(columns=["tenure_days"]))


def test_explanations_add_up_to_the_raw_score(facts):
    X, y = churn_features(facts, pd.Timestamp("2026-01-01")), churn_labels(facts, pd.Timestamp("2026-01-01"), 120)
    model = ChurnModel(calibration=None).fit(X, y)
    every = model.explain(X.head(20), top=X.shape[1])
    assert model._shap_explainer() is model._shap_explainer()  # created once
    total = every.groupby("customer_id", sort=False)["shap"].sum().to_numpy() + model.expected_value_
    raw = model.decision_function(X.head(20))
    # zero contributions are not listed, so the listed ones still sum to the blended log-odds score
    np.testing.assert_allclose(total, raw, atol=1e-6)
    importance = model.feature_importance_
    assert importance.is_monotonic_decreasing and set(importance.index) == set(X.columns)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_maps_the_score_monotonically_onto_probabilities(facts, method):
    X, y = churn_features(facts, pd.Timestamp("2026-01-01")), churn_labels(facts, pd.Timestamp("2026-01-01"), 120)
    model = ChurnModel(calibration=method, max_iter=30).fit(X, y)
    order = np.argsort(model.decision_function(X), kind="stable")
    churn = model.predict_proba(X)[order, 1]
    assert ((churn >= 0) & (churn <= 1)).all() and (np.diff(churn) >= -1e-12).all()
    distinct, scores = len(np.unique(np.round(churn, 12))), len(np.unique(model.decision_function(X)))
    assert distinct == scores if method == "sigmoid" else distinct < scores / 4  # isotonic's steps tie customers
    assert churn.mean() == pytest.approx(np.mean(y), abs=0.03)  # calibrated to the base rate on average


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_either_half_alone_is_the_blend_s_limit(facts, weight):
    X, y = churn_features(facts, pd.Timestamp("2026-01-01")), churn_labels(facts, pd.Timestamp("2026-01-01"), 120)
    model = ChurnModel(calibration=None, linear_weight=weight).fit(X, y)
    assert (model.booster_ is None) == (weight == 1.0) and (model.linear_ is None) == (weight == 0.0)
    assert model.blend_scores_.empty and model.linear_weight_ == weight
    alone = model.linear_ if weight == 1.0 else model.booster_
    np.testing.assert_allclose(model.decision_function(X), alone.decision_function(X.to_numpy(dtype=float)))
    every = model.explain(X.head(10), top=X.shape[1])
    total = every.groupby("customer_id", sort=False)["shap"].sum().to_numpy() + model.expected_value_
    np.testing.assert_allclose(total, model.decision_function(X.head(10)), atol=1e-6)


def _synthetic(kind: str, n: int = 4000) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.uniform(-1, 1, n), "b": rng.uniform(-1, 1, n), "noise": rng.normal(size=n)})
    # smooth additive effects suit the spline logit; a sign interaction only a tree ensemble can learn
    logit = 2 * np.sin(2 * X["a"]) + 1.5 * X["b"] ** 2 if kind == "additive" else 4 * np.sign(X["a"] * X["b"])
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


@pytest.mark.parametrize("kind, side", [("additive", "spline"), ("interaction", "booster")])
def test_auto_weight_leans_to_the_half_that_fits_the_data(kind, side):
    X, y = _synthetic(kind)
    model = ChurnModel(linear_weight="auto", max_iter=200, max_depth=3).fit(X, y)
    assert list(model.blend_scores_.index) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert model.linear_weight_ == model.blend_scores_.idxmax()
    alone = model.blend_scores_.loc[[0.0, 1.0]]
    if side == "spline":
        assert model.linear_weight_ >= 0.5 and alone.idxmax() == 1.0
    else:  # the spline logit alone is chance; blended in, its near-constant score barely moves the ranking
        assert model.linear_weight_ < 1.0 and alone[1.0] < 0.6 < alone[0.0]


# ----- train_churn on the sample company -------------------------------------------------------------------

def test_out_of_time_auc_beats_chance(result):
    assert result.cutoff_test == result.as_of - pd.Timedelta(days=90)
    assert result.cutoff_train == result.as_of - pd.Timedelta(days=180)
    assert result.auc > 0.6
    assert 0 < result.brier < result.base_rate * (1 - result.base_rate) + 0.01  # about a constant forecast or better
    assert result.roc["fpr"].iloc[0] == 0 and result.roc["tpr"].iloc[-1] == 1
    assert result.calibration["count"].sum() == result.n_test and len(result.calibration) == 10


def test_the_generator_s_churn_drivers_lead_the_importance(result):
    top = set(result.importance["feature"].head(6))
    assert {"plan_Plus", "tickets_per_year"} <= top
    assert top & {"orders_per_year", "orders_365d", "revenue_365d"}


def test_scores_are_probabilities_with_consistent_retention_and_risk(result, facts):
    scores = result.scores
    c = facts.customers
    assert len(scores) == int((c["cancel_date"].isna() | (c["cancel_date"] > facts.as_of)).sum())
    p = scores["churn_probability"]
    assert p.between(0, 1).all() and p.is_monotonic_decreasing
    assert (scores["retention_score"] == np.round(100 * (1 - p)).astype(int)).all()
    base = result.base_rate
    expected = np.where(p >= 2 * base, "high", np.where(p >= base, "medium", "low"))
    assert (scores["risk"].to_numpy() == expected).all()
    # a spread an analyst can act on: every band is used, "high" is a short list
    shares = scores["risk"].value_counts(normalize=True)
    assert set(shares.index) == {"high", "medium", "low"} and 0.01 < shares["high"] < 0.25 < shares["medium"]


def test_reasons_list_the_top_three_each_way(result, facts):
    reasons = result.reasons
    assert list(reasons.columns) == ["customer_id", "direction", "feature", "value", "shap", "reason"]
    assert reasons["reason"].str.endswith(tuple(DIRECTIONS)).all()
    assert not reasons["reason"].str.contains(r" = |_", regex=True).any()
    assert set(reasons["direction"]) == set(DIRECTIONS)
    assert ((reasons["direction"] == "raises risk") == (reasons["shap"] > 0)).all()
    counts = reasons.groupby(["customer_id", "direction"]).size().unstack(fill_value=0)
    assert counts.max().max() == 3
    assert (counts == 3).all(axis=1).mean() > 0.9
    every = result.model.explain(churn_features(facts, facts.as_of), top=50)
    available = every.groupby(["customer_id", "direction"]).size().unstack(fill_value=0).clip(upper=3)
    pd.testing.assert_frame_equal(counts.sort_index(), available.sort_index())


def test_risk_bands_are_multiples_of_the_base_rate():
    assert RISK_MULTIPLES == (("high", 2.0), ("medium", 1.0))
    bands = risk_bands([0.01, 0.0499, 0.05, 0.0999, 0.10, 0.6], base_rate=0.05)
    assert bands.tolist() == ["low", "low", "medium", "medium", "high", "high"]
    with pytest.raises(ValueError, match="base_rate must be the observed churn share"):
        risk_bands([0.1], base_rate=0.0)


def test_a_planted_risky_group_is_banded_high_and_a_safe_group_low():
    """Known answer: with a calibrated model, 40% churners among flagged customers and 2% among the others
    (base rate about 10%) must come out "high" and "low"."""
    rng = np.random.default_rng(3)
    n = 4000
    flagged = rng.random(n) < 0.2
    noise = rng.normal(size=n)
    x = pd.DataFrame({"flag": flagged.astype(float), "noise": noise})
    y = (rng.random(n) < np.where(flagged, 0.4, 0.02)).astype(int)
    model = ChurnModel(random_state=0).fit(x, y)
    probability = model.predict_proba(x)[:, 1]
    bands = risk_bands(probability, base_rate=float(y.mean()))
    assert (bands[flagged] == "high").mean() > 0.95
    assert (bands[~flagged] == "low").mean() > 0.95


def test_top_at_risk_is_the_head_of_the_scores(result):
    top = top_at_risk(result, n=10)
    assert len(top) == 10 and top["churn_probability"].is_monotonic_decreasing
    assert top["churn_probability"].iloc[0] == result.scores["churn_probability"].max()
    assert (top["top_reason"] != "").all() and top["top_reason"].str.endswith("raises risk").all()


def test_top_at_risk_by_value_puts_risky_customers_with_history_before_new_sign_ups(result):
    """Known answer on planted scores: value at risk ranks the list, sign-ups without history come last and
    customers below the base rate are not listed."""
    base = result.base_rate
    planted = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5],
                            "churn_probability": [0.9, 3 * base, 2.5 * base, 1.2 * base, 0.5 * base],
                            "retention_score": [10, 70, 75, 88, 96]})
    planted["risk"] = risk_bands(planted["churn_probability"], base)
    reasons = pd.DataFrame({"customer_id": [2], "direction": ["raises risk"], "feature": ["orders_90d"],
                            "value": [0.0], "shap": [0.3], "reason": ["No orders in the last 90 days raises risk"]})
    fake = replace(result, scores=planted, reasons=reasons)
    value = pd.Series({2: 100.0, 3: 1000.0, 4: 5000.0, 5: 9000.0})  # customer 1 signed up and never ordered
    top = top_at_risk(fake, n=10, value=value)
    assert top["customer_id"].tolist() == [4, 3, 2, 1]  # 5 is below the base rate
    assert top["value_at_risk"].iloc[:3].tolist() == pytest.approx([6000 * base, 2500 * base, 300 * base])
    assert np.isnan(top["value_at_risk"].iloc[3]) and np.isnan(top["value"].iloc[3])
    assert top["top_reason"].tolist() == ["", "", "No orders in the last 90 days raises risk", ""]
    assert top_at_risk(fake, n=2, value=value)["customer_id"].tolist() == [4, 3]


def test_churn_rate_counts_cancellations_of_the_active(facts):
    start, end = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01")
    labels = churn_labels(facts, start, (end - start).days)
    assert churn_rate(facts, start, end) == pytest.approx(labels.mean())
    smb = facts.customers.set_index("customer_id").loc[labels.index, "segment"] == "SMB"
    assert churn_rate(facts, start, end, segment="SMB") == pytest.approx(labels[smb.to_numpy()].mean())
    assert churn_rate(facts, start, end, {"segment": "SMB"}) == churn_rate(facts, start, end, "SMB")
    with pytest.raises(ValueError, match="valid options"):
        churn_rate(facts, start, end, segment="Startup")
