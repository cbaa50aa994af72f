"""Churn prediction: who among today's customers is likely to cancel in the next few months, and why.

Input is :class:`analytics.retention.RetentionFacts`. The pieces:

- :func:`churn_features` / :func:`churn_labels`: leakage-safe features at a cutoff and the cancellations in
  the horizon after it;
- :class:`ChurnModel`: gradient boosting blended with an additive spline logit, calibrated, with per-customer
  SHAP reasons;
- :func:`train_churn`: out-of-time validation (train at ``as_of - 2 * horizon``, test at ``as_of - horizon``),
  then a refit on both labelled cutoffs and scores for every customer active at ``as_of``;
- :func:`top_at_risk` and :func:`churn_rate`: the list analysts act on and the observed rate to compare with.

Scores: ``churn_probability`` is the calibrated probability of cancelling within ``horizon_days`` after
``as_of``; ``retention_score = round(100 * (1 - churn_probability))`` (100 = certain to stay); ``risk`` compares
the probability with the base rate, the share of customers who really cancelled in the latest complete window:
"high" from twice the base rate, "medium" from the base rate, else "low" (see ``RISK_MULTIPLES``). Churn in a
quarter is rare (about 7.5% on the sample company), so fixed cut-offs such as 0.5 would call everyone "medium"
or "low"; multiples of the base rate say what an analyst asks: is this customer likelier to leave than usual?
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

from analytics.retention.churn.features import (active_count, active_customers, as_timestamp, churn_features,
                                                churn_labels, label_counts_error, observation_start)
from analytics.retention.churn.model import LOWERS, RAISES, ChurnModel
from analytics.retention.churn.reasons import feature_phrase, reason_text
from analytics.retention.facts import RetentionFacts, check_facts

__all__ = ["ChurnModel", "ChurnResult", "DIRECTIONS", "RISK_MULTIPLES", "RANKING_RULE", "churn_features", "churn_labels",
           "churn_rate", "feature_phrase", "reason_text", "risk_bands", "top_at_risk", "train_churn"]

RISK_MULTIPLES = (("high", 2.0), ("medium", 1.0))  # first level whose multiple of the base rate is reached
RANKING_RULE = ("customers likelier than usual to churn (at least the base rate), ranked by value at risk = "
                "churn probability × lifetime value; customers without purchase history have no value yet and "
                "come last, most likely to churn first")
CALIBRATION_BINS = 10
DIRECTIONS = (RAISES, LOWERS)  # the values of reasons["direction"]


@dataclass(frozen=True)
class ChurnResult:
    """Out-of-time validation of the churn model and today's scores (see :func:`train_churn`)."""

    auc: float
    brier: float
    roc: pd.DataFrame  # fpr, tpr (test cutoff)
    calibration: pd.DataFrame  # bin, mean_predicted, observed, count (test cutoff, quantile bins)
    importance: pd.DataFrame  # feature, importance (mean |SHAP| of the final model)
    base_rate: float  # observed churn share in the test window
    n_train: int  # training rows (customers x snapshots)
    n_test: int
    cutoff_train: pd.Timestamp
    cutoff_test: pd.Timestamp
    as_of: pd.Timestamp
    horizon_days: int
    scores: pd.DataFrame  # customer_id, churn_probability, retention_score, risk (highest probability first)
    reasons: pd.DataFrame  # customer_id, direction, feature, value, shap, reason (top 3 each way; reason in words)
    model: ChurnModel  # the final model, fitted on both labelled cutoffs


def risk_bands(probability, base_rate: float) -> np.ndarray:
    """"high", "medium" or "low" per probability: from 2x ``base_rate``, from 1x, below (``RISK_MULTIPLES``).

    Raises
    ------
    ValueError
        When ``base_rate`` is not a probability above 0 (there is no "usual" churn to compare with).
    """
    if not (isinstance(base_rate, (int, float, np.floating)) and 0 < base_rate <= 1):
        raise ValueError(f"base_rate must be the observed churn share, in (0, 1]; got {base_rate!r}")
    probability = np.asarray(probability, dtype=float)
    levels = np.full(len(probability), "low", dtype=object)
    for level, multiple in reversed(RISK_MULTIPLES):
        levels[probability >= multiple * base_rate] = level
    return levels


def _calibration_table(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """Observed churn against mean prediction in up to 10 quantile bins (tied predictions share a bin)."""
    bins = pd.qcut(pd.Series(p).rank(method="first"), CALIBRATION_BINS, labels=False)
    frame = pd.DataFrame({"bin": bins, "p": p, "y": y}).groupby("bin")
    return pd.DataFrame({"mean_predicted": frame["p"].mean(), "observed": frame["y"].mean(),
                         "count": frame.size()}).reset_index()


def _labelled(facts: RetentionFacts, cutoff: pd.Timestamp, horizon_days: int, snapshots: int, where: str):
    """Features and labels at ``cutoff`` and up to ``snapshots - 1`` earlier cutoffs ``horizon_days`` apart.

    Earlier snapshots only add rows (more cancellations to learn from); their label windows end before
    ``cutoff``'s, so nothing after ``cutoff + horizon_days`` is read. Snapshots before the first day of data
    or with nobody active are left out.
    """
    first_day = observation_start(facts)
    features, labels = [], []
    for k in range(snapshots):
        at = cutoff - pd.Timedelta(days=k * int(horizon_days))
        if k and (at < first_day or active_count(facts, at) == 0):
            break
        features.append(churn_features(facts, at))
        labels.append(churn_labels(facts, at, horizon_days).reindex(features[-1].index))
    x, y = pd.concat(features), pd.concat(labels)
    message = label_counts_error(y, f"{where} (customers active at {cutoff.date()}"
                                    f"{f' and {len(features) - 1} earlier cutoffs' if len(features) > 1 else ''}, "
                                    f"cancellations in the next {horizon_days} days)")
    if message:
        raise ValueError(message)
    return x, y


def _scores(model: ChurnModel, features: pd.DataFrame, base_rate: float) -> pd.DataFrame:
    probability = model.predict_proba(features)[:, 1]
    scores = pd.DataFrame({"customer_id": features.index.to_numpy(), "churn_probability": probability,
                           "retention_score": np.round(100 * (1 - probability)).astype(int),
                           "risk": risk_bands(probability, base_rate)})
    return scores.sort_values(["churn_probability", "customer_id"], ascending=[False, True], ignore_index=True)


def train_churn(facts: RetentionFacts, horizon_days: int = 90, random_state: int = 0,
                snapshots: int = 4) -> ChurnResult:
    """Validate the churn model out of time, refit it and score every customer active at ``facts.as_of``.

    Parameters
    ----------
    facts : RetentionFacts
    horizon_days : int
        Churn horizon: labels and scores are about cancelling within this many days.
    random_state : int
        Seed of the model.
    snapshots : int
        Training cutoffs stacked per fit: the cutoff itself and up to ``snapshots - 1`` earlier ones,
        ``horizon_days`` apart (1 = the single cutoff): more cancellations to learn from (docs/retention.md).

    Returns
    -------
    ChurnResult
        AUC, Brier score, ROC curve and calibration table of a model trained at ``as_of - 2 * horizon_days``
        (and earlier snapshots), tested on the customers active at ``as_of - horizon_days``; importance (mean
        |SHAP|), scores and top 3 SHAP reasons each way of a final model refitted one horizon later (the test
        cutoff becomes training data) and applied to every customer active at ``as_of``.

    Raises
    ------
    ValueError
        Missing columns, nobody active at a cutoff, or a label window with one class only.
    """
    as_of, cutoff_train, cutoff_test = _cutoffs(facts, horizon_days, snapshots)
    x_train, y_train = _labelled(facts, cutoff_train, horizon_days, snapshots, "training window")
    x_test, y_test = _labelled(facts, cutoff_test, horizon_days, 1, "test window")
    p_test = ChurnModel(random_state=random_state).fit(x_train, y_train).predict_proba(x_test)[:, 1]
    final = ChurnModel(random_state=random_state).fit(
        *_labelled(facts, cutoff_test, horizon_days, snapshots, "refit window"))
    x_now, base_rate = churn_features(facts, as_of), float(y_test.mean())
    return ChurnResult(
        **_validation(y_test.to_numpy(), p_test), importance=_importance(final), base_rate=base_rate,
        n_train=len(x_train), n_test=len(x_test), cutoff_train=cutoff_train, cutoff_test=cutoff_test, as_of=as_of,
        horizon_days=int(horizon_days), scores=_scores(final, x_now, base_rate),
        reasons=_worded(final.explain(x_now, top=3)), model=final)


def _cutoffs(facts: RetentionFacts, horizon_days: int, snapshots: int) -> tuple[pd.Timestamp, ...]:
    """``as_of`` (normalised), the training cutoff two horizons before it and the test cutoff one before."""
    check_facts(facts)
    if not (isinstance(horizon_days, (int, np.integer)) and horizon_days > 0):
        raise ValueError(f"horizon_days must be a positive whole number of days; got {horizon_days!r}")
    if not (isinstance(snapshots, (int, np.integer)) and snapshots >= 1):
        raise ValueError(f"snapshots must be a whole number >= 1; got {snapshots!r}")
    as_of = pd.Timestamp(facts.as_of).normalize()
    return as_of, as_of - pd.Timedelta(days=2 * int(horizon_days)), as_of - pd.Timedelta(days=int(horizon_days))


def _validation(y: np.ndarray, p: np.ndarray) -> dict:
    """AUC, Brier score, ROC curve and calibration table of probabilities ``p`` against outcomes ``y``."""
    fpr, tpr, _ = roc_curve(y, p)
    return {"auc": float(roc_auc_score(y, p)), "brier": float(brier_score_loss(y, p)),
            "roc": pd.DataFrame({"fpr": fpr, "tpr": tpr}), "calibration": _calibration_table(y, p)}


def _importance(model: ChurnModel) -> pd.DataFrame:
    importance = model.feature_importance_
    return pd.DataFrame({"feature": importance.index, "importance": importance.to_numpy()})


def _worded(reasons: pd.DataFrame) -> pd.DataFrame:
    """``reasons`` with a ``reason`` column: each row as a sentence (see ``reason_text``)."""
    text = [reason_text(f, v, d) for f, v, d in zip(reasons["feature"], reasons["value"], reasons["direction"])]
    return reasons.assign(reason=pd.Series(text, index=reasons.index, dtype=object))


def top_at_risk(result: ChurnResult, n: int = 50, value: pd.Series | None = None) -> pd.DataFrame:
    """The ``n`` customers to act on first, with their strongest reason in words.

    Parameters
    ----------
    result : ChurnResult
    n : int
        How many customers to list (fewer when fewer qualify).
    value : pandas.Series, optional
        Money per ``customer_id`` (e.g. lifetime value; NaN or absent = no purchase history yet). Without it,
        every scored customer is ranked by churn probability. With it, the list follows ``RANKING_RULE``: only
        customers at or above the base rate (risk "medium" or "high"), ranked by ``value_at_risk =
        churn_probability * value``; those without a value come last, by probability.

    Returns
    -------
    pandas.DataFrame
        The ``scores`` columns, ``value`` and ``value_at_risk`` when ``value`` is given, and ``top_reason``
        (the sentence of the reason that raises the risk most, "" if none).
    """
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"n must be a whole number >= 1; got {n!r}")
    scores = result.scores
    if value is not None:
        worth = scores["customer_id"].map(value).astype(float)
        scores = scores.assign(value=worth, value_at_risk=scores["churn_probability"] * worth)
        scores = scores[scores["risk"] != "low"].sort_values(
            ["value_at_risk", "churn_probability", "customer_id"], ascending=[False, False, True], na_position="last")
    top = scores.head(int(n))
    raises = result.reasons[result.reasons["direction"] == RAISES].drop_duplicates("customer_id")
    reason = top["customer_id"].map(raises.set_index("customer_id")["reason"]).fillna("")
    return top.assign(top_reason=reason.to_numpy()).reset_index(drop=True)


def _filter(customers: pd.DataFrame, segment) -> pd.DataFrame:
    if segment is None:
        return customers
    conditions = segment if isinstance(segment, dict) else {"segment": segment}
    for column, value in conditions.items():
        if column not in customers.columns:
            raise ValueError(f"cannot filter on {column!r}; customers have columns {list(customers.columns)}")
        levels = sorted(customers[column].astype(str).unique())
        if str(value) not in levels:
            raise ValueError(f"{column} has no customers equal to {value!r}; valid options: {levels}")
        customers = customers[customers[column].astype(str) == str(value)]
    return customers


def churn_rate(facts: RetentionFacts, start, end, segment=None) -> float:
    """Observed share of the customers active at ``start`` who cancelled in ``(start, end]``.

    Parameters
    ----------
    facts : RetentionFacts
    start, end : date-like
        The window; ``end`` must be after ``start`` and not after ``facts.as_of``.
    segment : str or dict, optional
        A ``segment`` value (e.g. "SMB") or a filter such as ``{"segment": "SMB", "plan": "Plus"}``.

    Returns
    -------
    float
        Churned / active-at-start, in [0, 1].
    """
    start, end = as_timestamp(start, "start"), as_timestamp(end, "end")
    if end <= start:
        raise ValueError(f"end {end.date()} must be after start {start.date()}")
    if end > facts.as_of:
        raise ValueError(f"end {end.date()} is after the data's last day {facts.as_of.date()}; later "
                         "cancellations are unseen, so use an end on or before it")
    active = _filter(active_customers(facts, start), segment)
    if active.empty:
        raise ValueError(f"no customer matching {segment!r} is active at {start.date()}; widen the filter or "
                         "pick another start")
    cancelled = (active["cancel_date"] > start) & (active["cancel_date"] <= end)
    return float(cancelled.mean())
