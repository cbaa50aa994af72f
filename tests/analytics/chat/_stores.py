"""Tiny stores for the parser's tests: the sample company, and one whose names are its own."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from data.sample import SampleConfig, generate_sample, write_sample
from data.store import get_engine

# A customer's store that calls things differently from the sample company.
OWN_REGIONS = {"North America": "Americas", "EMEA": "Europe", "APAC": "Nordics", "LATAM": "Iberia"}
OWN_SEGMENTS = {"Consumer": "Households", "SMB": "Small Business", "Enterprise": "Key Accounts"}
OWN_CATEGORIES = {"Electronics": "Gadgets", "Home": "Home & Garden", "Apparel": "Clothing", "Sports": "Outdoor",
                  "Beauty": "Wellness"}
OWN_CHANNELS = {"Web": "Webshop", "Mobile": "App", "Retail": "Stores", "Partner": "Wholesale"}
END = dt.date(2026, 6, 16)  # the last complete day is 2026-06-15


def write_store(folder: Path, *, own_names: bool) -> str:
    """A 40-customer, one-year store in ``folder``; with ``own_names`` every name is renamed. Returns its URL."""
    dataset = generate_sample(SampleConfig(customers=40, seed=3, years=1, end_date=END))
    if own_names:
        tables = dataset.tables
        tables["customers"]["region"] = tables["customers"]["region"].map(OWN_REGIONS)
        tables["customers"]["segment"] = tables["customers"]["segment"].map(OWN_SEGMENTS)
        tables["customers"]["channel"] = tables["customers"]["channel"].map(OWN_CHANNELS)
        tables["orders"]["channel"] = tables["orders"]["channel"].map(OWN_CHANNELS)
        tables["products"]["category"] = tables["products"]["category"].map(OWN_CATEGORIES)
    url = f"sqlite:///{folder / 'store.db'}"
    write_sample(get_engine(url), dataset, truth_path=folder / "truth.json")
    return url
