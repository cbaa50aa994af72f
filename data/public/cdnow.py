"""Loaders for the CDNOW customer transactions (Fader & Hardie) kept in ``$FORESIGHT_DATASETS/cdnow``.

Nothing is copied into the repo and nothing is read at import time. Transactions come back in the shape of
the project's order log (``customer_id, order_date, revenue``, plus ``cds``), so ``analytics.retention.clv`` reads them
like the store's orders. The lifetimes summary files come back with the column names of
``analytics.retention.clv.rfm_summary`` (``frequency, recency, T`` and ``monetary_value``, in weeks).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from data.public.datasets import dataset_file

__all__ = ["CDNOW_CALIBRATION_END", "CDNOW_OBSERVATION_END", "load_cdnow_transactions", "load_cdnow_summary"]

CDNOW_CALIBRATION_END = pd.Timestamp("1997-09-30")  # 39 weeks after the first purchases of 1997-01-01
CDNOW_OBSERVATION_END = pd.Timestamp("1998-06-30")  # end of the holdout, weeks 40-78
TRANSACTION_FILES = {"sample": ("CDNOW_sample.txt", ["master_id", "customer_id", "date", "cds", "revenue"]),
                     "master": ("CDNOW_master.txt", ["customer_id", "date", "cds", "revenue"])}


def _cdnow_file(name: str, folder: str | Path | None) -> Path:
    return dataset_file("cdnow", name, folder)


def load_cdnow_transactions(kind: str = "sample", folder: str | Path | None = None) -> pd.DataFrame:
    """CDNOW purchases as an order log ``customer_id, order_date, cds, revenue`` (one row per transaction).

    Parameters
    ----------
    kind : {"sample", "master"}
        The 1/10th sample of the papers (2,357 customers, ``customer_id`` = sample id 1..2357) or the
        master file (23,570 customers, ``customer_id`` = master id).

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (int), ``order_date`` (datetime64), ``cds`` (int), ``revenue`` (dollars), in file order.
    """
    key = str(kind).strip().lower()
    if key not in TRANSACTION_FILES:
        raise ValueError(f"unknown CDNOW file {kind!r}; valid options: {', '.join(TRANSACTION_FILES)}")
    name, columns = TRANSACTION_FILES[key]
    path = _cdnow_file(name, folder)
    raw = pd.read_csv(path, sep=r"\s+", header=None, names=columns, dtype={"date": str})
    dates = pd.to_datetime(raw["date"], format="%Y%m%d", errors="coerce")
    if dates.isna().any():
        bad = raw.index[dates.isna()][:5].tolist()
        raise ValueError(f"{path.name}: rows {bad} have dates that are not YYYYMMDD; is this the CDNOW file?")
    return pd.DataFrame({"customer_id": raw["customer_id"].astype("int64"), "order_date": dates,
                         "cds": raw["cds"].astype("int64"), "revenue": raw["revenue"].astype(float)})


def load_cdnow_summary(folder: str | Path | None = None) -> pd.DataFrame:
    """lifetimes' 39-week calibration summary of the sample, indexed by ``customer_id`` (the sample id).

    Returns
    -------
    pandas.DataFrame
        ``frequency, recency, T`` (x, t_x, T in weeks, same-day purchases merged) and ``monetary_value``
        (zbar: mean value of the repeat purchases, 0 when frequency is 0), from the two summary files.
    """
    counts = pd.read_csv(_cdnow_file("cdnow_customers_summary.csv", folder), index_col="ID")
    spend = pd.read_csv(_cdnow_file("cdnow_customers_summary_with_transactions.csv", folder), index_col="ID")
    if not counts.index.equals(spend.index):
        raise ValueError("cdnow_customers_summary.csv and cdnow_customers_summary_with_transactions.csv list "
                         "different customers; restore both files from the lifetimes wheel (see cdnow/README.md)")
    summary = counts[["frequency", "recency", "T"]].assign(monetary_value=spend["zbar"].astype(float))
    summary.index.name = "customer_id"
    return summary
