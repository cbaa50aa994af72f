"""RFM scores and behavioural segments: who buys recently, often and a lot, in words a manager can use.

:func:`rfm_scores` turns an order log into recency, frequency and monetary value with 1–5 quintile scores;
:class:`CustomerSegmenter` clusters customers with KMeans on standardised ``log1p`` of the three, picks the
number of clusters by the highest silhouette score and names each cluster from its profile;
:func:`segment_customers` fits one and returns its :class:`SegmentResult`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from analytics._checks import check_fitted, check_order_log, require_columns, where

__all__ = ["CustomerSegmenter", "SegmentResult", "rfm_scores", "segment_customers", "segment_points"]

RFM_COLUMNS = ["customer_id", "recency_days", "frequency", "monetary"]
MEASURES = ["recency_days", "frequency", "monetary"]
SILHOUETTE_SAMPLE = 5000
# per quadrant of (recency score, frequency-and-spend score): names from the best cluster to the worst
_LADDERS = {(True, True): ("Champions", ["Champions", "Loyal", "Potential loyalists"]),
            (True, False): ("New", ["Promising", "New", "Recent one-timers"]),
            (False, True): ("At risk", ["Cannot lose them", "At risk", "Need attention"]),
            (False, False): ("Hibernating", ["About to sleep", "Hibernating", "Lost"])}


@dataclass(frozen=True)
class SegmentResult:
    """Behavioural segments.

    Attributes
    ----------
    assignments : pd.DataFrame
        ``customer_id, cluster, segment``.
    profiles : pd.DataFrame
        ``segment, size, share, recency_days, frequency, monetary`` (means), ``churn_rate`` (share churned,
        NaN when ``churned`` was not given), ``value`` (total monetary), ``value_share``, ``description``;
        sorted by value, largest first.
    k : int
        Number of clusters chosen.
    scores : dict
        k -> silhouette score of every k tried.
    """

    assignments: pd.DataFrame
    profiles: pd.DataFrame
    k: int
    scores: dict


def _quintile(values: pd.Series) -> pd.Series:
    # average ranks: tied customers share a score (all tied -> 3)
    position = (values.rank(method="average") - 0.5) / len(values)
    return np.clip(np.floor(position * 5) + 1, 1, 5).astype(int)


def rfm_scores(orders: pd.DataFrame, as_of, customer: str = "customer_id", date: str = "order_date",
               amount: str = "revenue") -> pd.DataFrame:
    """Recency, frequency and monetary value per customer, with 1–5 quintile scores (5 is best).

    Parameters
    ----------
    orders : pd.DataFrame
        One row per order with ``customer``, ``date`` and ``amount`` (>= 0; zero spend is fine).
    as_of : date-like
        The day recency is measured from; no order may be after it.
    customer, date, amount : str
        Column names.

    Returns
    -------
    pd.DataFrame
        ``customer_id, recency_days`` (days since the last order), ``frequency`` (orders), ``monetary``
        (total spend), ``r_score, f_score, m_score`` (quintiles of the ranks; ties get the score of their
        average rank, low recency scores high) and ``rfm`` such as ``"545"``.
    """
    frame = check_order_log(orders, customer, date, amount, parse_dates=True)
    as_of = pd.Timestamp(as_of)
    late = (frame[date] > as_of).to_numpy()
    if late.any():
        raise ValueError(f"orders in {where(late, frame.index.to_numpy())} are dated after as_of {as_of.date()}; "
                         "pass a later as_of or drop those orders")
    grouped = frame.groupby(customer)
    out = pd.DataFrame({"recency_days": (as_of - grouped[date].max()).dt.days, "frequency": grouped.size(),
                        "monetary": grouped[amount].sum().astype(float)})
    out = out.rename_axis("customer_id").reset_index()
    out["r_score"] = _quintile(-out["recency_days"])
    out["f_score"] = _quintile(out["frequency"])
    out["m_score"] = _quintile(out["monetary"])
    out["rfm"] = out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    return out


def _log_measures(rfm: pd.DataFrame) -> np.ndarray:
    require_columns(rfm, RFM_COLUMNS, "rfm", "build it with rfm_scores(orders, as_of)")
    if rfm.empty:
        raise ValueError("rfm is empty; segmentation needs at least one customer")
    return np.log1p(rfm[MEASURES].to_numpy(dtype=float))


def _best_k(features: np.ndarray, k_range, random_state: int) -> tuple[int, dict]:
    distinct = len(np.unique(features, axis=0))
    # k above the number of distinct points is capped to it; silhouette needs 2 <= k <= n - 1
    candidates = sorted({min(int(k), distinct) for k in k_range} & set(range(2, len(features))))
    scores = {}
    for k in candidates:
        labels = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit_predict(features)
        if len(np.unique(labels)) > 1:
            scores[k] = float(silhouette_score(features, labels, random_state=random_state,
                                               sample_size=min(len(features), SILHOUETTE_SAMPLE)))
    return (max(scores, key=scores.get) if scores else 1), scores


def _names(centres: pd.DataFrame) -> dict[int, str]:
    if len(centres) == 1:
        return {centres.index[0]: "All customers"}
    recency, value = -centres["recency_days"], (centres["frequency"] + centres["monetary"]) / 2
    names = {}
    for quadrant, (primary, ladder) in _LADDERS.items():
        members = centres.index[(recency > 0).eq(quadrant[0]) & (value > 0).eq(quadrant[1])]
        ordered = sorted(members, key=lambda c: -(recency[c] + value[c]))
        labels = [primary] if len(ordered) == 1 else ladder + [f"{ladder[-1]} {i}" for i in range(2, len(ordered))]
        names.update(zip(ordered, labels))
    return names


def _describe(row: pd.Series, churn_known: bool) -> str:
    who = "1 customer" if row["size"] == 1 else f"{row['size']:,} customers"
    text = (f"{who} ({row['share']:.0%}) who bought {row['frequency']:.1f} times on average, most recently "
            f"{row['recency_days']:.0f} days ago; they bring {row['value_share']:.0%} of revenue")
    return text + (f" and {row['churn_rate']:.0%} have churned." if churn_known and pd.notna(row["churn_rate"])
                   else ".")


def _profiles(rfm: pd.DataFrame, segment: pd.Series, churned: pd.Series | None) -> pd.DataFrame:
    frame = rfm[["recency_days", "frequency", "monetary"]].astype(float).assign(segment=segment.to_numpy())
    frame["churned"] = (np.nan if churned is None else
                        rfm["customer_id"].map(churned.astype(float)).to_numpy())
    grouped = frame.groupby("segment")
    out = grouped[["recency_days", "frequency", "monetary"]].mean()
    out.insert(0, "size", grouped.size())
    out.insert(1, "share", out["size"] / len(frame))
    out["churn_rate"] = grouped["churned"].mean()
    out["value"] = grouped["monetary"].sum()
    total = out["value"].sum()
    out["value_share"] = out["value"] / total if total > 0 else 0.0
    out = out.sort_values(["value", "size"], ascending=False).rename_axis("segment").reset_index()
    out["description"] = out.apply(_describe, axis=1, churn_known=churned is not None)
    return out


class CustomerSegmenter(BaseEstimator):
    """KMeans segments on standardised ``log1p(recency, frequency, monetary)``, named from their profiles.

    Parameters
    ----------
    k_range : iterable of int
        Cluster counts to try; the one with the highest silhouette score (computed on a seeded sample of up
        to 5,000 customers) wins. A k above the number of distinct customers is capped to it; with fewer
        than three customers or one distinct profile there is a single segment, "All customers".
    random_state : int
        Seed of KMeans and of the silhouette sample.

    Attributes
    ----------
    k_ : int
        Number of clusters chosen.
    scores_ : dict
        k -> silhouette score of every k tried.
    names_ : dict
        Cluster -> segment name. Names come from the sign of each cluster's centre: recent and valuable
        "Champions", recent but little "New", valuable but lapsing "At risk", neither "Hibernating"; several
        clusters in the same quadrant get graded names ("Champions", "Loyal", ...). Names are unique.
    assignments_ : pd.DataFrame
        ``customer_id, cluster, segment`` of the customers fitted on.
    profiles_ : pd.DataFrame
        As :attr:`SegmentResult.profiles`.
    mean_, scale_ : numpy.ndarray
        Standardisation of ``log1p(recency_days, frequency, monetary)``.
    kmeans_ : KMeans or None
        The clustering (None with a single segment).
    """

    def __init__(self, k_range=range(2, 9), random_state: int = 0):
        self.k_range = k_range
        self.random_state = random_state

    def fit(self, rfm: pd.DataFrame, churned: pd.Series | None = None) -> "CustomerSegmenter":
        """Cluster the customers of ``rfm`` (from :func:`rfm_scores`; needs ``customer_id, recency_days,
        frequency, monetary``); ``churned`` (customer id -> bool, optional) gives each segment's churn rate."""
        values = _log_measures(rfm)
        spread = values.std(axis=0)
        self.mean_, self.scale_ = values.mean(axis=0), np.where(spread > 0, spread, 1.0)
        features = (values - self.mean_) / self.scale_
        self.k_, self.scores_ = _best_k(features, self.k_range, self.random_state)
        self.kmeans_, labels = None, np.zeros(len(features), dtype=int)
        if self.k_ > 1:
            self.kmeans_ = KMeans(n_clusters=self.k_, n_init=10, random_state=self.random_state)
            labels = self.kmeans_.fit_predict(features)
        self.names_ = _names(pd.DataFrame(features, columns=MEASURES).groupby(labels).mean())
        segment = pd.Series(labels).map(self.names_)
        self.assignments_ = pd.DataFrame({"customer_id": rfm["customer_id"].to_numpy(), "cluster": labels,
                                          "segment": segment.to_numpy()})
        self.profiles_ = _profiles(rfm, segment, churned)
        return self

    def predict(self, rfm: pd.DataFrame) -> np.ndarray:
        """The segment name of each customer of ``rfm`` (the nearest fitted cluster, on the fitted scale)."""
        check_fitted(self, "names_", "fit(rfm)")
        features = (_log_measures(rfm) - self.mean_) / self.scale_
        labels = np.zeros(len(features), dtype=int) if self.kmeans_ is None else self.kmeans_.predict(features)
        return np.array([self.names_[label] for label in labels], dtype=object)


def segment_customers(rfm: pd.DataFrame, k_range=range(2, 9), random_state: int = 0,
                      churned: pd.Series | None = None) -> SegmentResult:
    """The segments of a :class:`CustomerSegmenter` fitted on ``rfm`` (parameters as there)."""
    segmenter = CustomerSegmenter(k_range=k_range, random_state=random_state).fit(rfm, churned=churned)
    return SegmentResult(segmenter.assignments_, segmenter.profiles_, segmenter.k_, segmenter.scores_)


def segment_points(rfm: pd.DataFrame, result: SegmentResult, n: int, random_state: int = 0) -> pd.DataFrame:
    """Customers' RFM values with their segment, for a scatter: all of them, or ``n`` drawn at random.

    Drawing keeps a large company's scatter readable and light; the same ``random_state`` draws the same customers.
    """
    if n < 1:
        raise ValueError(f"n={n}; a scatter needs at least 1 point")
    points = rfm.merge(result.assignments[["customer_id", "segment"]], on="customer_id")
    return points.sample(n, random_state=random_state) if len(points) > n else points
