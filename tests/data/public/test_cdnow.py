"""CDNOW loaders on tiny files laid out like the datasets folder (no real data needed), plus the real files'
published counts when ``$FORESIGHT_DATASETS`` holds them."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.settings import datasets_folder
from data.public.cdnow import CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, load_cdnow_summary, load_cdnow_transactions
from data.public.datasets import DATASETS_ENV, DatasetsNotFoundError


@pytest.fixture
def cdnow_folder(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cdnow"
    folder.mkdir()
    (folder / "CDNOW_sample.txt").write_bytes(
        b" 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n 00021 0002 19970101  3   63.34\r\n")
    (folder / "CDNOW_master.txt").write_bytes(b"00001 19970101  1   11.77\r\n00002 19970112  6   89.00\r\n")
    (folder / "cdnow_customers_summary.csv").write_text("ID,frequency,recency,T\n1,1,2.43,38.86\n2,0,0.0,38.86\n")
    (folder / "cdnow_customers_summary_with_transactions.csv").write_text(
        "ID,x,t_x,T,zbar\n1,1,2.43,38.86,29.73\n2,0,0.0,38.86,0.0\n")
    monkeypatch.setenv(DATASETS_ENV, str(tmp_path))
    return folder


def test_sample_transactions_come_back_as_an_order_log(cdnow_folder):
    orders = load_cdnow_transactions("sample", datasets_folder())
    assert list(orders.columns) == ["customer_id", "order_date", "cds", "revenue"]
    assert orders["customer_id"].tolist() == [1, 1, 2]  # the sample id, not the master id
    assert orders["order_date"].tolist() == [pd.Timestamp("1997-01-01"), pd.Timestamp("1997-01-18"),
                                             pd.Timestamp("1997-01-01")]
    assert orders["revenue"].tolist() == [29.33, 29.73, 63.34] and orders["cds"].tolist() == [2, 2, 3]


def test_master_transactions_use_the_master_id(cdnow_folder):
    orders = load_cdnow_transactions("Master", datasets_folder())
    assert orders["customer_id"].tolist() == [1, 2] and orders["revenue"].sum() == pytest.approx(100.77)


def test_summary_joins_both_files_with_rfm_summary_names(cdnow_folder):
    summary = load_cdnow_summary(datasets_folder())
    assert summary.index.name == "customer_id" and summary.index.tolist() == [1, 2]
    assert summary.loc[1].tolist() == [1, 2.43, 38.86, 29.73]


def test_summary_files_that_disagree_are_rejected(cdnow_folder):
    (cdnow_folder / "cdnow_customers_summary_with_transactions.csv").write_text("ID,x,t_x,T,zbar\n1,1,2.43,38.86,29.73\n")
    with pytest.raises(ValueError, match="list different customers"):
        load_cdnow_summary(datasets_folder())


def test_bad_dates_and_unknown_files_are_named(cdnow_folder):
    (cdnow_folder / "CDNOW_sample.txt").write_text(" 00004 0001 1997-01-01  2   29.33\n")
    with pytest.raises(ValueError, match=r"rows \[0\] have dates that are not YYYYMMDD"):
        load_cdnow_transactions(folder=datasets_folder())
    with pytest.raises(ValueError, match="valid options: sample, master"):
        load_cdnow_transactions("full", datasets_folder())


def test_missing_files_and_folder_name_the_variable(cdnow_folder, monkeypatch):
    (cdnow_folder / "CDNOW_master.txt").unlink()
    with pytest.raises(DatasetsNotFoundError, match="cdnow/CDNOW_master.txt"):
        load_cdnow_transactions("master", datasets_folder())
    monkeypatch.delenv(DATASETS_ENV)
    with pytest.raises(DatasetsNotFoundError, match=DATASETS_ENV):
        load_cdnow_summary(datasets_folder())


def test_real_files_have_the_published_counts():
    try:
        orders, summary = load_cdnow_transactions("sample", datasets_folder()), load_cdnow_summary(datasets_folder())
    except DatasetsNotFoundError as error:
        pytest.skip(f"needs ${DATASETS_ENV} with cdnow/: {error}")
    assert len(orders) == 6919 and orders["customer_id"].nunique() == 2357
    assert orders["revenue"].sum() == pytest.approx(244091.94)
    assert orders["order_date"].min() == pd.Timestamp("1997-01-01")
    assert orders["order_date"].max() <= CDNOW_OBSERVATION_END
    assert len(summary) == 2357 and (summary["frequency"] > 0).sum() == 946
    assert summary["T"].max() == pytest.approx((CDNOW_CALIBRATION_END - pd.Timestamp("1997-01-01")).days / 7, abs=0.01)
