"""Public benchmark datasets (M4, CDNOW, Telco, NAB), read from ``$FORESIGHT_DATASETS``.

Only ``benchmarks/`` and the tests use this package; the app never reads these files.
"""
from __future__ import annotations

from data.public.cdnow import CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, load_cdnow_summary, load_cdnow_transactions
from data.public.datasets import (DATASETS_ENV, M4_FREQUENCIES, DatasetsNotFoundError, M4Data, dataset_file,
                                  datasets_dir, load_m4, load_m4_benchmark_forecasts, load_m4_official_scores)
from data.public.nab import NAB_PROFILES, NabCorpus, load_nab
from data.public.telco import TELCO_CATEGORICAL, TELCO_FILE, TELCO_NUMERIC, TELCO_TARGET, load_telco

__all__ = [
    "CDNOW_CALIBRATION_END", "CDNOW_OBSERVATION_END", "DATASETS_ENV", "DatasetsNotFoundError", "M4Data",
    "M4_FREQUENCIES", "TELCO_CATEGORICAL", "TELCO_FILE", "TELCO_NUMERIC", "TELCO_TARGET", "dataset_file",
    "datasets_dir", "load_cdnow_summary", "load_cdnow_transactions", "load_m4", "load_m4_benchmark_forecasts",
    "load_m4_official_scores", "load_telco", "NAB_PROFILES", "NabCorpus", "load_nab",
]
