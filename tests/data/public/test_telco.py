"""The Telco churn loader on a tiny file laid out like the real one, and on the real file when present."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import datasets_folder
from data.public.datasets import DATASETS_ENV, DatasetsNotFoundError
from data.public.telco import TELCO_CATEGORICAL, TELCO_NUMERIC, load_telco

HEADER = ("customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,InternetService,"
          "OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,StreamingMovies,Contract,"
          "PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn")
ROWS = ["7590-VHVEG,Female,0,Yes,No,1,No,No phone service,DSL,No,Yes,No,No,No,No,Month-to-month,Yes,"
        "Electronic check,29.85,29.85,No",
        "4472-LVYGI,Female,0,Yes,Yes,0,No,No phone service,DSL,Yes,No,Yes,Yes,Yes,No,Two year,Yes,"
        "Bank transfer (automatic),52.55, ,No",
        "9237-HQITU,Female,0,No,No,2,Yes,No,Fiber optic,No,No,No,No,No,No,Month-to-month,Yes,"
        "Electronic check,70.7,151.65,Yes"]


def _write(folder: Path, rows: list[str]) -> None:
    (folder / "telco_churn").mkdir(parents=True, exist_ok=True)
    (folder / "telco_churn" / "Telco-Customer-Churn.csv").write_text("\n".join([HEADER, *rows]) + "\n")


def test_loader_coerces_blank_charges_drops_ids_and_maps_churn(tmp_path, monkeypatch):
    _write(tmp_path, ROWS)
    monkeypatch.setenv(DATASETS_ENV, str(tmp_path))
    frame = load_telco(datasets_folder())
    assert "customerID" not in frame.columns and len(frame.columns) == 20
    assert frame["Churn"].tolist() == [0, 0, 1]
    assert frame["TotalCharges"].isna().tolist() == [False, True, False]
    assert frame["MonthlyCharges"].tolist() == [29.85, 52.55, 70.7]
    assert frame.loc[1, "Contract"] == "Two year" and frame["tenure"].tolist() == [1, 0, 2]


def test_loader_names_rows_with_a_bad_churn_value(tmp_path):
    _write(tmp_path, [ROWS[0], ROWS[1], ROWS[2][: -len("Yes")] + "maybe"])
    with pytest.raises(ValueError, match=r"Churn must be Yes or No; rows \[2\]"):
        load_telco(tmp_path)


def test_missing_file_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(DATASETS_ENV, str(tmp_path))
    with pytest.raises(DatasetsNotFoundError, match=DATASETS_ENV):
        load_telco(datasets_folder())


def test_the_real_file_has_the_readme_s_facts():
    folder = datasets_folder()
    if folder is None or not (folder / "telco_churn" / "Telco-Customer-Churn.csv").is_file():
        pytest.skip(f"${DATASETS_ENV} does not hold telco_churn/Telco-Customer-Churn.csv")
    frame = load_telco(datasets_folder())
    assert frame.shape == (7043, 20)
    assert int(frame["Churn"].sum()) == 1869
    assert int(frame["TotalCharges"].isna().sum()) == 11
    assert (frame.loc[frame["TotalCharges"].isna(), "tenure"] == 0).all()
    assert set(TELCO_CATEGORICAL + TELCO_NUMERIC + ["Churn"]) == set(frame.columns)
