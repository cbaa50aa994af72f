"""Customer lifetime value: BG/NBD purchase counts, Gamma-Gamma spend and their discounted product.

The models fit by maximum likelihood (scipy.optimize) on the RFM summary that :func:`rfm_summary` builds
from an order log (the ``orders`` frame of ``analytics.retention.RetentionFacts``: order_id, customer_id,
order_date, revenue). Time is measured in periods of ``period_days`` days (weeks by default) everywhere:
frequency counts repeat purchase days, recency and T are ages in periods, horizons count periods.

- :class:`BetaGeoModel`: BG/NBD (Fader, Hardie & Lee 2005) for the number of repeat purchases;
- :class:`GammaGammaModel`: Gamma-Gamma (Fader & Hardie 2013) for the average transaction value;
- :func:`customer_lifetime_value`: discounted expected revenue over a horizon;
- :func:`fit_clv`: all of it on an order log in one call (what ``RetentionAnalyzer`` uses).

Both models follow scikit-learn's estimator contract. Their one hyperparameter, ``penalizer``, is an L2
penalty on the model's parameters added to the mean negative log-likelihood (0 = plain maximum likelihood).
``fit`` learns ``params_`` (the model's parameters by name), ``log_likelihood_`` (total, unpenalised),
``n_customers_`` (customers in the fit), ``converged_`` and ``optimizer_message_``; a prediction before
``fit`` raises scikit-learn's ``NotFittedError``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from analytics._checks import as_vector, check_fitted, labels_of, spend_arrays, summary_arrays, where
from analytics.retention.clv import formulas as m
from analytics.retention.clv.rfm import rfm_summary

__all__ = ["BetaGeoModel", "GammaGammaModel", "CLVResult", "customer_lifetime_value", "fit_clv", "rfm_summary"]

DAYS_PER_YEAR = 365.0


def _checked_time(name: str, t) -> float:
    if not (isinstance(t, (int, float, np.integer, np.floating)) and math.isfinite(t) and t >= 0):
        raise ValueError(f"{name} must be a finite number of periods >= 0; got {t!r}")
    return float(t)


class _LikelihoodModel(BaseEstimator):
    """What the CLV models share: the ``penalizer``, the penalised fit and the fitted-ness check."""

    _PARAMS: tuple[str, ...] = ()
    _FIT_CALL = "fit"

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    def _checked_penalizer(self) -> float:
        penalizer = self.penalizer
        if not (isinstance(penalizer, (int, float)) and math.isfinite(penalizer) and penalizer >= 0):
            raise ValueError(f"penalizer must be a finite number >= 0 (0 = plain maximum likelihood); "
                             f"got {penalizer!r}")
        return float(penalizer)

    def _maximise(self, neg_mean_ll, n: int, penalizer: float) -> None:
        """Minimise the penalised mean negative log-likelihood over ``n`` customers and keep the result."""
        params, self.converged_, self.optimizer_message_ = m.fit_positive(neg_mean_ll, len(self._PARAMS), penalizer)
        self.params_ = dict(zip(self._PARAMS, (float(v) for v in params)))
        self.log_likelihood_ = -neg_mean_ll(params) * n
        self.n_customers_ = n

    def _params(self) -> np.ndarray:
        check_fitted(self, "params_", self._FIT_CALL)
        return np.array([self.params_[k] for k in self._PARAMS])


class BetaGeoModel(_LikelihoodModel):
    """BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005).

    While alive a customer buys at Poisson rate ``lambda ~ Gamma(r, alpha)``; after every purchase they drop
    out with probability ``p ~ Beta(a, b)``. ``params_`` holds ``r, alpha, a, b``; ``penalizer`` and the
    other fitted attributes are described in the module docstring.
    """

    _PARAMS = m.BG_PARAMS
    _FIT_CALL = "fit(frequency, recency, T)"

    def fit(self, frequency, recency, T) -> "BetaGeoModel":
        """Fit on repeat purchases ``frequency`` (x), age at the last purchase ``recency`` (t_x) and age ``T``.

        Raises
        ------
        ValueError
            On negative or missing values, recency > T, or recency > 0 with frequency 0 (rows named).
        """
        penalizer = self._checked_penalizer()
        x, t_x, age = summary_arrays(frequency, recency, T)
        rows, counts = np.unique(np.column_stack([x, t_x, age]), axis=0, return_counts=True)
        n = len(x)

        def neg_mean_ll(params: np.ndarray) -> float:
            return -float(counts @ m.bg_log_likelihood(params, rows[:, 0], rows[:, 1], rows[:, 2])) / n

        self._maximise(neg_mean_ll, n, penalizer)
        return self

    def expected_purchases(self, t: float, frequency, recency, T) -> np.ndarray:
        """Expected repeat purchases of each customer in the next ``t`` periods, E[Y(t) | x, t_x, T]."""
        params = self._params()
        t = _checked_time("t", t)
        x, t_x, age = summary_arrays(frequency, recency, T)
        return self._finite(m.bg_conditional_expected(params, t, x, t_x, age), labels_of(frequency, recency, T))

    def _finite(self, expected: np.ndarray, labels=None) -> np.ndarray:
        bad = ~np.isfinite(expected).reshape(-1, expected.shape[-1]).all(axis=0)
        if bad.any():
            shown = {k: float(f"{v:.4g}") for k, v in self.params_.items()}
            raise ValueError(f"expected purchases are not finite in {where(bad, labels)}: the fitted parameters "
                             f"{shown} are degenerate (converged_ is {self.converged_}); fit on more customers or "
                             "with a small penalizer (e.g. 0.001)")
        return expected

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        """Probability that each customer is still active (1 for customers without repeat purchases)."""
        params = self._params()
        return m.bg_p_alive(params, *summary_arrays(frequency, recency, T))

    def expected_purchases_population(self, t):
        """Unconditional E[X(t)]: expected repeat purchases in ``t`` periods of a customer who just joined."""
        params = self._params()
        times = np.asarray(t, dtype=float)
        if not (np.all(np.isfinite(times)) and np.all(times >= 0)):
            raise ValueError(f"t must be finite numbers of periods >= 0; got {t!r}")
        value = m.bg_unconditional_expected(params, times)
        return float(value) if np.ndim(value) == 0 else value


class GammaGammaModel(_LikelihoodModel):
    """Gamma-Gamma model of the average transaction value (Fader & Hardie 2013).

    A customer's transactions are ``Gamma(p, nu)`` with ``nu ~ Gamma(q, gamma)``, independent of how often
    they buy. Customers with frequency 0 have no repeat transactions to learn from and are excluded from
    the fit (``n_customers_`` counts those with frequency > 0); :meth:`expected_spend` gives them the
    population mean ``p * gamma / (q - 1)``. ``params_`` holds ``p, q, gamma``; ``penalizer`` and the other
    fitted attributes are described in the module docstring.
    """

    _PARAMS = m.GG_PARAMS
    _FIT_CALL = "fit(frequency, monetary_value)"

    def fit(self, frequency, monetary_value) -> "GammaGammaModel":
        """Fit on repeat purchase counts and the mean value of those repeat purchases.

        Raises
        ------
        ValueError
            When no customer has frequency > 0, or one with frequency > 0 has spend <= 0 (rows named).
        """
        penalizer = self._checked_penalizer()
        x, zbar = spend_arrays(frequency, monetary_value)
        keep = x > 0
        if not keep.any():
            raise ValueError(f"none of the {len(x)} customers has frequency > 0; the Gamma-Gamma model learns "
                             "from repeat purchases, so fit it on a longer history or more customers")
        x, zbar = x[keep], zbar[keep]

        def neg_mean_ll(params: np.ndarray) -> float:
            return -float(np.sum(m.gg_log_likelihood(params, x, zbar))) / len(x)

        self._maximise(neg_mean_ll, len(x), penalizer)
        return self

    def expected_spend(self, frequency, monetary_value) -> np.ndarray:
        """Expected average transaction value of each customer, E[Z | x, zbar] (population mean when x = 0)."""
        params = self._params()
        if params[1] <= 1:
            raise ValueError(f"q = {params[1]:.3f} <= 1: the fitted spend distribution has no finite mean; "
                             "use a penalizer or more customers")
        return m.gg_conditional_spend(params, *spend_arrays(frequency, monetary_value))

    def repeat_spend(self, frequency, monetary_value) -> np.ndarray:
        """E[Z | x, zbar] of customers with repeat purchases (every ``frequency`` >= 1): ``p (gamma + x zbar) /
        (p x + q - 1)``, finite for x >= 1 even when q <= 1, where :meth:`expected_spend` refuses the infinite
        population mean (a large sample can fit q just under 1)."""
        x, zbar = spend_arrays(frequency, monetary_value)
        if np.any(x < 1):
            raise ValueError(f"{int(np.sum(x < 1))} customer(s) have no repeat purchase (frequency 0); their spend "
                             "is the population mean: use expected_spend, or a first-purchase value")
        return m.gg_conditional_spend(self._params(), x, zbar)


def _discounted_value(bg: BetaGeoModel, spend: np.ndarray, x, t_x, age, horizon: float, rate: float) -> np.ndarray:
    """Sum over periods k of (E[Y(k)] - E[Y(k-1)]) * spend / (1 + rate)^k; the last period may be partial."""
    params = bg._params()
    edges = np.minimum(np.arange(0, math.ceil(horizon) + 1, dtype=float), horizon)
    cumulative = bg._finite(np.stack([m.bg_conditional_expected(params, float(k), x, t_x, age) for k in edges]))
    increments = np.diff(cumulative, axis=0)
    discount = (1.0 + rate) ** -edges[1:]
    return spend * (discount @ increments)


def customer_lifetime_value(bg: BetaGeoModel, gg: GammaGammaModel, frequency, recency, T, monetary_value,
                            horizon: int, discount_rate: float = 0.01) -> np.ndarray:
    """Expected discounted revenue of each customer over the next ``horizon`` periods.

    ``CLV_i = sum_{k=1..horizon} (E[Y_i(k)] - E[Y_i(k-1)]) * E[Z_i] / (1 + discount_rate)^k`` where
    ``E[Y_i(k)]`` is the BG/NBD conditional expected number of purchases in the next k periods and
    ``E[Z_i]`` the Gamma-Gamma expected spend per transaction.

    Parameters
    ----------
    bg, gg : BetaGeoModel, GammaGammaModel
        Fitted models.
    frequency, recency, T, monetary_value : array-like
        The customers' summary (as from :func:`rfm_summary`); recency and T in periods (the
        ``period_days`` given to ``rfm_summary``, weeks by default).
    horizon : int
        Number of periods to sum over (>= 1), in the same unit as recency and T.
    discount_rate : float
        Discount rate per period (0.01 per week is about 68% a year).

    Returns
    -------
    numpy.ndarray
        One value per customer, in the currency of ``monetary_value``.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be a whole number of periods >= 1; got {horizon!r}")
    if not (math.isfinite(discount_rate) and discount_rate > -1):
        raise ValueError(f"discount_rate must be > -1 per period (e.g. 0.01); got {discount_rate!r}")
    x, t_x, age = summary_arrays(frequency, recency, T)
    spend = gg.expected_spend(x, as_vector("monetary_value", monetary_value, len(x)))
    return _discounted_value(bg, spend, x, t_x, age, float(horizon), float(discount_rate))


@dataclass(frozen=True)
class CLVResult:
    """Fitted BG/NBD and Gamma-Gamma parameters and the per-customer value table of :func:`fit_clv`.

    ``customers`` has one row per customer with an order on or before ``as_of``: ``customer_id, frequency,
    recency, T, monetary_value`` (weeks), ``p_alive``, ``expected_purchases`` and ``clv`` over
    ``horizon_days``, and ``expected_spend`` (per transaction); sorted by customer id.
    """

    bg_params: dict
    gg_params: dict
    customers: pd.DataFrame
    horizon_days: int
    as_of: pd.Timestamp
    discount_rate_annual: float
    period_days: float


def fit_clv(orders: pd.DataFrame, as_of, horizon_days: int = 365, discount_rate_annual: float = 0.10) -> CLVResult:
    """Fit BG/NBD and Gamma-Gamma on the orders up to ``as_of`` and value every customer.

    Parameters
    ----------
    orders : pandas.DataFrame
        ``order_id, customer_id, order_date, revenue`` (``RetentionFacts.orders``); later orders are ignored.
    as_of : date-like
        End of the history used (the calibration end).
    horizon_days : int
        How far ahead to count purchases and value, in days.
    discount_rate_annual : float
        Yearly discount rate, converted to a weekly one: ``(1 + rate)^(7/365) - 1``.

    Returns
    -------
    CLVResult
    """
    if not horizon_days > 0:
        raise ValueError(f"horizon_days must be > 0; got {horizon_days!r}")
    if not (math.isfinite(discount_rate_annual) and discount_rate_annual > -1):
        raise ValueError(f"discount_rate_annual must be > -1 (e.g. 0.10); got {discount_rate_annual!r}")
    period_days = 7.0
    summary = rfm_summary(orders, calibration_end=as_of, period_days=period_days)
    bg = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    gg = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
    x, t_x, age, zbar = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "monetary_value"))
    horizon = horizon_days / period_days
    weekly_rate = (1.0 + discount_rate_annual) ** (period_days / DAYS_PER_YEAR) - 1.0
    spend = gg.expected_spend(x, zbar)
    customers = summary.reset_index().rename(columns={summary.index.name: "customer_id"}).assign(
        p_alive=bg.p_alive(x, t_x, age),
        expected_purchases=bg.expected_purchases(horizon, x, t_x, age),
        expected_spend=spend,
        clv=_discounted_value(bg, spend, x, t_x, age, horizon, weekly_rate))
    return CLVResult(bg_params=dict(bg.params_), gg_params=dict(gg.params_), customers=customers,
                     horizon_days=horizon_days, as_of=pd.Timestamp(as_of), discount_rate_annual=discount_rate_annual,
                     period_days=period_days)
