"""Loader for the IBM Telco Customer Churn table kept in ``$FORESIGHT_DATASETS/telco_churn``.

Nothing is copied into the repo and nothing is read at import time. The file's quirks are handled as its
README says: ``TotalCharges`` is blank for the 11 customers with tenure 0 (coerced to NaN), ``customerID`` is
dropped and ``Churn`` Yes/No becomes 1/0.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from data.public.datasets import dataset_file

__all__ = ["TELCO_FILE", "TELCO_TARGET", "TELCO_NUMERIC", "TELCO_CATEGORICAL", "load_telco"]

TELCO_FILE = "Telco-Customer-Churn.csv"
TELCO_TARGET = "Churn"
TELCO_NUMERIC = ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]
TELCO_CATEGORICAL = ["gender", "Partner", "Dependents", "PhoneService", "MultipleLines", "InternetService",
                     "OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV",
                     "StreamingMovies", "Contract", "PaperlessBilling", "PaymentMethod"]
_ID = "customerID"


def _telco_file(folder: str | Path | None) -> Path:
    return dataset_file("telco_churn", TELCO_FILE, folder)


def _numeric(raw: pd.DataFrame, column: str, file_name: str) -> pd.Series:
    """A numeric column; only ``TotalCharges`` may be blank (new customers), anything else unreadable is named."""
    values = pd.to_numeric(raw[column].str.strip(), errors="coerce")
    if column != "TotalCharges" and values.isna().any():
        bad = raw.index[values.isna()][:5].tolist()
        raise ValueError(f"{file_name}: {column} must be numeric; rows {bad} hold {raw.loc[bad, column].tolist()}")
    return values


def load_telco(folder: str | Path | None = None) -> pd.DataFrame:
    """The Telco customers: 19 feature columns and ``Churn`` (1 = churned), one row per customer.

    Parameters
    ----------
    folder : Path, optional
        The datasets folder (``core.settings.datasets_folder()``); None raises DatasetsNotFoundError.

    Returns
    -------
    pandas.DataFrame
        ``TELCO_CATEGORICAL`` columns as strings, ``TELCO_NUMERIC`` as numbers (``TotalCharges`` NaN where the
        file has a blank), ``Churn`` as int 0/1; ``customerID`` dropped.

    Raises
    ------
    DatasetsNotFoundError
        When the folder or the file is missing.
    ValueError
        When columns are missing or ``Churn`` holds something other than Yes/No (rows named).
    """
    path = _telco_file(folder)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    expected = [_ID, *TELCO_CATEGORICAL, *TELCO_NUMERIC, TELCO_TARGET]
    missing = [c for c in expected if c not in raw.columns]
    if missing:
        raise ValueError(f"{path.name} lacks columns {missing}; is this the IBM Telco churn file?")
    churn = raw[TELCO_TARGET].str.strip().map({"Yes": 1, "No": 0})
    if churn.isna().any():
        bad = raw.index[churn.isna()][:5].tolist()
        raise ValueError(f"{path.name}: Churn must be Yes or No; rows {bad} hold "
                         f"{raw.loc[bad, TELCO_TARGET].tolist()}")
    frame = raw[TELCO_CATEGORICAL].apply(lambda column: column.str.strip())
    for column in TELCO_NUMERIC:
        frame[column] = _numeric(raw, column, path.name)
    frame[TELCO_TARGET] = churn.astype(int)
    return frame[[c for c in raw.columns if c != _ID]]
