"""Loaders for the public benchmark datasets (M4) kept outside the repository.

The datasets live in the folder named by ``$FORESIGHT_DATASETS`` (read by ``core.settings``, passed as ``folder``) (one subfolder per dataset, e.g.
``m4/Hourly-train.csv``); nothing here is copied into the repo and nothing is read at import time.
Frames follow the project's forecasting contract: long format with ``unique_id, ds, y``. M4 gives no
timestamps, so ``ds`` is the 1-based integer position in the series; the test part continues the
numbering of the train part.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["DATASETS_ENV", "M4_FREQUENCIES", "M4Data", "DatasetsNotFoundError", "datasets_dir", "dataset_file",
           "load_m4", "load_m4_benchmark_forecasts", "load_m4_official_scores"]

DATASETS_ENV = "FORESIGHT_DATASETS"
ID, DS, Y = "unique_id", "ds", "y"

# frequency -> (file prefix, horizon, MASE seasonality m as the M4 organisers set it)
M4_FREQUENCIES: dict[str, tuple[str, int, int]] = {
    "hourly": ("Hourly", 48, 24),
    "weekly": ("Weekly", 13, 1),
}


class DatasetsNotFoundError(FileNotFoundError):
    """The datasets folder (or a file in it) is not where ``$FORESIGHT_DATASETS`` says."""


@dataclass(frozen=True)
class M4Data:
    """One M4 frequency: long train and test frames, the horizon and the MASE seasonality."""

    frequency: str
    train: pd.DataFrame
    test: pd.DataFrame
    horizon: int
    seasonality: int


def datasets_dir(folder: str | Path | None) -> Path:
    """The folder of public datasets, checked (``core.settings.datasets_folder()`` reads ``$FORESIGHT_DATASETS``).

    Raises
    ------
    DatasetsNotFoundError
        When no folder is given (the variable is unset) or it does not exist.
    """
    if folder is None or not str(folder).strip():
        raise DatasetsNotFoundError(
            f"${DATASETS_ENV} is not set; point it at the folder of public datasets "
            f"(the one holding m4/), e.g. `export {DATASETS_ENV}=/work/shared/datasets`")
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise DatasetsNotFoundError(f"${DATASETS_ENV}={folder} is not a folder; set it to the folder "
                                    "of public datasets (the one holding m4/)")
    return path


def _m4_spec(frequency: str) -> tuple[str, int, int]:
    key = str(frequency).strip().lower()
    if key not in M4_FREQUENCIES:
        raise ValueError(f"unknown M4 frequency {frequency!r}; valid options: {', '.join(M4_FREQUENCIES)}")
    return M4_FREQUENCIES[key]


def dataset_file(dataset: str, name: str, folder: str | Path | None) -> Path:
    """The path of ``<folder>/<dataset>/<name>``.

    Raises
    ------
    DatasetsNotFoundError
        When the folder or the file is missing, naming what should be there.
    """
    path = datasets_dir(folder) / dataset / name
    if not path.is_file():
        raise DatasetsNotFoundError(f"{path} is missing; ${DATASETS_ENV} must hold {dataset}/{name} "
                                    f"(see {dataset}/README.md in the datasets folder)")
    return path


def _m4_file(name: str, folder: str | Path | None) -> Path:
    return dataset_file("m4", name, folder)


def _wide_to_long(wide: pd.DataFrame, start: dict[str, int] | None, path: Path) -> pd.DataFrame:
    """M4's right-padded wide rows as a long frame; ``start`` maps id -> first ds (default 1)."""
    values = wide.to_numpy(dtype=float)
    present = ~np.isnan(values)
    lengths = present.sum(axis=1)
    gaps = present != (np.arange(values.shape[1]) < lengths[:, None])
    if gaps.any():
        bad = wide.index[gaps.any(axis=1)][:5].tolist()
        raise ValueError(f"{path}: series {bad} have empty cells before their last value; "
                         "M4 rows may only be padded on the right")
    ids = np.repeat(wide.index.to_numpy(dtype=str), lengths)
    offsets = np.zeros(len(wide), dtype=np.int64) if start is None else \
        np.array([start[i] - 1 for i in wide.index], dtype=np.int64)
    ds = np.concatenate([np.arange(1, n + 1) + o for n, o in zip(lengths, offsets)]) if len(wide) else []
    return pd.DataFrame({ID: ids, DS: np.asarray(ds, dtype=np.int64), Y: values[present]})


def load_m4(frequency: str = "hourly", folder: str | Path | None = None) -> M4Data:
    """Train and test series of one M4 frequency as long frames ``unique_id, ds, y``.

    Parameters
    ----------
    frequency : {"hourly", "weekly"}
        The M4 subset; only these two are in the datasets folder.
    folder : path
        The datasets folder (``core.settings.datasets_folder()``); None raises DatasetsNotFoundError.

    Returns
    -------
    M4Data
        ``train`` with ``ds`` = 1..n per series, ``test`` with ``ds`` = n+1..n+horizon, the horizon (48 for
        hourly) and the MASE seasonality m (24 for hourly).
    """
    prefix, horizon, seasonality = _m4_spec(frequency)
    train_path, test_path = _m4_file(f"{prefix}-train.csv", folder), _m4_file(f"{prefix}-test.csv", folder)
    train_wide = pd.read_csv(train_path, index_col=0)
    test_wide = pd.read_csv(test_path, index_col=0)
    missing = sorted(set(train_wide.index) ^ set(test_wide.index))
    if missing:
        raise ValueError(f"{train_path.name} and {test_path.name} disagree on series {missing[:5]}; "
                         "both files must list the same ids")
    train = _wide_to_long(train_wide, None, train_path)
    test_start = (train.groupby(ID, sort=False)[DS].max() + 1).to_dict()
    test = _wide_to_long(test_wide, test_start, test_path)
    short = test.groupby(ID).size().loc[lambda n: n != horizon]
    if len(short):
        raise ValueError(f"{test_path.name}: series {short.index[:5].tolist()} do not have {horizon} test "
                         "values (the M4 horizon)")
    return M4Data(frequency=frequency.lower(), train=train, test=test, horizon=horizon,
                  seasonality=seasonality)


def load_m4_benchmark_forecasts(frequency: str = "hourly", folder: str | Path | None = None) -> pd.DataFrame:
    """The organisers' own point forecasts (Naive, sNaive, Naive2, SES) as ``method, unique_id, step, y_hat``.

    ``step`` is the 1-based forecast step (F1 -> 1).
    """
    prefix, _, _ = _m4_spec(frequency)
    wide = pd.read_csv(_m4_file(f"benchmark_point_forecasts_{prefix.lower()}.csv", folder))
    long = wide.melt(id_vars=["method", "id"], var_name="step", value_name="y_hat")
    long["step"] = long["step"].str.lstrip("F").astype(int)
    long = long.rename(columns={"id": ID}).dropna(subset=["y_hat"])
    return long.sort_values(["method", ID, "step"], ignore_index=True)


def load_m4_official_scores(frequency: str = "hourly", folder: str | Path | None = None) -> pd.DataFrame:
    """The organisers' published sMAPE, MASE and OWA of every method for one frequency, indexed by method."""
    prefix, _, _ = _m4_spec(frequency)
    table = pd.read_csv(_m4_file("m4_point_forecast_scores_by_frequency.csv", folder))
    columns = {f"{metric}_{prefix}": metric.lower() for metric in ("sMAPE", "MASE", "OWA")}
    scores = table.set_index(table["Method"].astype(str))[list(columns)].rename(columns=columns)
    scores.index.name = "method"
    return scores
