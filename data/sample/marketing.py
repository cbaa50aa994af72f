"""Marketing source system: campaigns, their daily spend and platform metrics, and adstock.

Spend is what drives extra signups and orders (see ``adstock``); impressions, clicks and
conversions are what an ad platform would report and only follow spend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.sample.calendar import Period, black_friday
from data.sample.params import MARKETING
from data.vocabulary import CHANNELS

# Always-on campaigns: (name, channel, share of the channel's always-on budget).
_ALWAYS_ON = (
    ("Web Search - Always On", "Web", 0.6),
    ("Web Social - Always On", "Web", 0.4),
    ("Mobile App Install - Always On", "Mobile", 1.0),
    ("Retail Circular - Always On", "Retail", 1.0),
    ("Partner Affiliate - Always On", "Partner", 1.0),
)


def _seasonal_windows(year: int) -> list[tuple[str, str, pd.Timestamp, pd.Timestamp]]:
    friday = black_friday(year)
    return [
        (f"New Year {year} - Partner", "Partner", pd.Timestamp(year, 1, 1), pd.Timestamp(year, 1, 14)),
        (f"Summer Sale {year} - Mobile", "Mobile", pd.Timestamp(year, 7, 7), pd.Timestamp(year, 7, 21)),
        (f"Back to School {year} - Web", "Web", pd.Timestamp(year, 8, 12), pd.Timestamp(year, 8, 28)),
        (f"Black Friday {year} - Web", "Web", friday - pd.Timedelta(days=7), friday + pd.Timedelta(days=3)),
        (
            f"Black Friday {year} - Mobile",
            "Mobile",
            friday - pd.Timedelta(days=7),
            friday + pd.Timedelta(days=3),
        ),
        (f"Holiday {year} - Retail", "Retail", pd.Timestamp(year, 12, 1), pd.Timestamp(year, 12, 24)),
    ]


def campaigns(period: Period) -> pd.DataFrame:
    """Always-on campaigns per channel plus seasonal bursts overlapping the window."""
    always_on = [
        (name, channel, "always_on", period.start - pd.DateOffset(years=1), pd.NaT)
        for name, channel, _ in _ALWAYS_ON
    ]
    seasonal = [
        (name, channel, "seasonal", start, end)
        for year in range(period.start.year, period.end.year + 1)
        for name, channel, start, end in _seasonal_windows(year)
        if end >= period.start and start <= period.end
    ]
    seasonal.sort(key=lambda row: (row[3], row[0]))
    frame = pd.DataFrame(always_on + seasonal, columns=["name", "channel", "kind", "start_date", "end_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    frame.insert(0, "campaign_id", np.arange(1, len(frame) + 1))
    return frame


def _daily_spend(
    period: Period, campaign: pd.Series, n_customers: int, rng: np.random.Generator
) -> tuple[int, np.ndarray]:
    """First day offset and daily spend of one campaign inside the window."""
    first = max(period.offset(campaign["start_date"]), 0)
    last = (
        period.n_days - 1
        if pd.isna(campaign["end_date"])
        else min(period.offset(campaign["end_date"]), period.n_days - 1)
    )
    days = np.arange(first, last + 1)
    channel = CHANNELS.index(campaign["channel"])
    base = n_customers * MARKETING.daily_spend_per_customer[channel]
    if campaign["kind"] == "always_on":
        share = next(share for name, _, share in _ALWAYS_ON if name == campaign["name"])
        weekend = pd.DatetimeIndex(period.dates(days)).dayofweek >= 5
        weekly = np.where(weekend, 0.85, 1.05)
        growth = np.exp(MARKETING.spend_growth_per_year * days / 365.25)
        spend = base * share * weekly * growth
    else:
        spend = np.full(days.size, base * MARKETING.seasonal_boost)
    return first, np.round(spend * rng.lognormal(0.0, 0.15, days.size), 2)


def marketing_daily(
    period: Period, campaign_frame: pd.DataFrame, n_customers: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Daily rows per campaign, and total spend per channel and day (shape channels x days)."""
    spend_by_channel = np.zeros((len(CHANNELS), period.n_days))
    parts = []
    for _, campaign in campaign_frame.iterrows():
        first, spend = _daily_spend(period, campaign, n_customers, rng)
        channel = CHANNELS.index(campaign["channel"])
        spend_by_channel[channel, first : first + spend.size] += spend
        impressions = np.floor(
            spend / MARKETING.cpm[channel] * 1000 * rng.lognormal(0.0, 0.1, spend.size)
        ).astype(np.int64)
        clicks = rng.binomial(impressions, MARKETING.click_through_rate[channel])
        parts.append(
            pd.DataFrame(
                {
                    "date": period.dates(np.arange(first, first + spend.size)),
                    "campaign_id": campaign["campaign_id"],
                    "channel": campaign["channel"],
                    "spend": spend,
                    "impressions": impressions,
                    "clicks": clicks,
                    "conversions": rng.binomial(clicks, MARKETING.conversion_rate[channel]),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True).sort_values(["date", "campaign_id"], ignore_index=True)
    return frame, spend_by_channel


def adstock(spend: np.ndarray) -> np.ndarray:
    """Geometric adstock after a lag: A[d] = spend[d - lag] + decay * A[d - 1].

    Spend before the window is taken to equal the first day's, starting from steady state.
    """
    decay, lag = MARKETING.adstock_decay, MARKETING.lag_days
    lagged = np.concatenate([np.repeat(spend[:, :1], lag, axis=1), spend[:, : spend.shape[1] - lag]], axis=1)
    stock = np.empty_like(spend)
    carry = spend[:, 0] / (1.0 - decay)
    for day in range(spend.shape[1]):
        carry = lagged[:, day] + decay * carry
        stock[:, day] = carry
    return stock
