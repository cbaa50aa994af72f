"""Plain numerical functions behind ``analytics.retention.clv``: BG/NBD and Gamma-Gamma log-likelihoods and predictions.

Everything works on numpy arrays and is vectorised over customers. Log-likelihoods are written with
``gammaln``/``betaln``/``logaddexp`` so that customers with many purchases or long histories do not overflow.
References: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way" (BG/NBD), and Fader & Hardie
(2013), "The Gamma-Gamma Model of Monetary Value".
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, expit, gammaln, hyp2f1

BG_PARAMS = ("r", "alpha", "a", "b")
GG_PARAMS = ("p", "q", "gamma")
LOG_BOUND = float(np.log(1e6))


def bg_log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood of ``(x, t_x, T)`` (FHL 2005, eq. 6)."""
    r, alpha, a, b = params
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    still_alive = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        dropped = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                           - (r + x) * np.log(alpha + t_x), -np.inf)
    return common + np.logaddexp(still_alive, dropped)


def gg_log_likelihood(params: np.ndarray, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """Per-customer Gamma-Gamma log density of the mean spend ``zbar`` over ``x`` transactions (x > 0)."""
    p, q, gamma = params
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma) + (px - 1) * np.log(zbar)
            + px * np.log(x) - (px + q) * np.log(gamma + x * zbar))


def fit_positive(neg_mean_ll, n_params: int, penalizer: float) -> tuple[np.ndarray, bool, str]:
    """Minimise ``neg_mean_ll(params) + penalizer * sum(params**2)`` over params in [1e-6, 1e6] (log scale).

    Nelder-Mead finds the basin robustly, then L-BFGS-B polishes it; returns (params, success, message).
    The bounds keep degenerate fits (one customer, nobody repeating) finite; a parameter on a bound means
    the data do not identify it, and success is then False.
    """
    def objective(log_params: np.ndarray) -> float:
        params = np.exp(log_params)
        value = neg_mean_ll(params) + penalizer * float(np.sum(params ** 2))
        return float(value) if np.isfinite(value) else 1e100

    bounds = [(-LOG_BOUND, LOG_BOUND)] * n_params
    coarse = minimize(objective, np.zeros(n_params), method="Nelder-Mead", bounds=bounds,
                      options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 20_000, "maxfev": 20_000})
    fine = minimize(objective, coarse.x, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-10})
    best = fine if fine.fun <= coarse.fun else coarse
    if np.any(np.abs(best.x) > LOG_BOUND - 1e-3):
        return np.exp(best.x), False, "a parameter reached its bound (1e-6 or 1e6): the data do not identify it"
    return np.exp(best.x), bool(coarse.success or fine.success), str(best.message)


def bg_log_alive_odds(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x): the odds of having dropped out (-inf when x = 0)."""
    r, alpha, a, b = params
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
    return np.where(x > 0, odds, -np.inf)


def bg_p_alive(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive | x, t_x, T) (FHL 2005 note); 1 for customers without repeat purchases."""
    return expit(-bg_log_alive_odds(params, x, t_x, T))


def bg_conditional_expected(params: np.ndarray, t: float, x: np.ndarray, t_x: np.ndarray,
                            T: np.ndarray) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected repeat purchases in the next ``t`` periods (FHL 2005, eq. 10)."""
    r, alpha, a, b = params
    if t == 0:
        return np.zeros_like(np.asarray(x, dtype=float))
    z = t / (alpha + T + t)
    shrink = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
    numerator = (a + b + x - 1) / (a - 1) * (1 - shrink * hyp2f1(r + x, b + x, a + b + x - 1, z))
    return numerator * bg_p_alive(params, x, t_x, T)


def bg_unconditional_expected(params: np.ndarray, t: np.ndarray) -> np.ndarray:
    """E[X(t)] for a customer who has just made the first purchase (FHL 2005, eq. 9)."""
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    shrink = np.exp(r * (np.log(alpha) - np.log(alpha + t)))
    return (a + b - 1) / (a - 1) * (1 - shrink * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def gg_conditional_spend(params: np.ndarray, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """E[Z | x, zbar] = p (gamma + x zbar) / (p x + q - 1); the population mean p gamma / (q - 1) when x = 0."""
    p, q, gamma = params
    return p * (gamma + x * zbar) / (p * x + q - 1)
