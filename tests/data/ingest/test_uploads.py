"""Browser uploads: decoding, size limit, safe storage, preview and mapping suggestions."""
from __future__ import annotations

import base64

import pytest

from data.ingest.contract import IngestLimits, SourceError
from data.ingest.uploads import Upload, decode_upload, preview_upload, save_upload, suggest_mapping, upload_path


def _data_url(content: bytes) -> str:
    return "data:text/csv;base64," + base64.b64encode(content).decode()


def test_decode_round_trip_and_limits():
    assert decode_upload(_data_url(b"a,b\n1,2\n"), "x.csv", IngestLimits()) == b"a,b\n1,2\n"
    with pytest.raises(SourceError, match=r"x.csv is larger than the 1 MB limit"):
        decode_upload(_data_url(b"x" * (2 * 1024 * 1024)), "x.csv", IngestLimits(max_bytes=1024 * 1024))
    with pytest.raises(SourceError, match=r"x.csv is larger than the 500 KB limit"):  # not "0 MB"
        decode_upload(_data_url(b"x" * (600 * 1024)), "x.csv", IngestLimits(max_bytes=500 * 1024))
    with pytest.raises(SourceError, match="did not arrive as a file upload"):
        decode_upload("hello", "x.csv", IngestLimits())
    with pytest.raises(SourceError, match="invalid base64"):
        decode_upload("data:text/csv;base64,@@@", "x.csv", IngestLimits())


def test_stored_under_a_random_name_and_tokens_are_checked(tmp_path):
    upload = save_upload(tmp_path, "../../etc/passwd.csv", b"a\n1\n")
    path = upload_path(tmp_path, upload)
    assert path.parent == tmp_path and path.name == f"{upload.token}.csv"
    with pytest.raises(SourceError, match="not valid"):
        upload_path(tmp_path, Upload(token="../../secret", filename="x.csv"))
    with pytest.raises(SourceError, match="no usable file extension"):
        save_upload(tmp_path, "noextension", b"a\n")
    with pytest.raises(SourceError, match="no longer on the server"):
        upload_path(tmp_path, Upload(token="0" * 32, filename="x.csv"))


def test_preview_keeps_source_names_and_counts_rows(tmp_path):
    content = b"Customer ID,Name\n" + b"".join(f"{i},P{i}\n".encode() for i in range(30))
    upload = save_upload(tmp_path, "people.csv", content)
    preview, total = preview_upload(tmp_path, upload, "customers", rows=5)
    assert total == 30 and len(preview) == 5
    assert list(preview.columns) == ["row_number", "Customer ID", "Name"]
    assert preview["row_number"].tolist() == [1, 2, 3, 4, 5]


def test_header_only_file_is_refused(tmp_path):
    upload = save_upload(tmp_path, "empty.csv", b"customer_id,name\n")
    with pytest.raises(SourceError, match="header but no data rows"):
        preview_upload(tmp_path, upload, "customers")


def test_suggestions_ignore_case_and_punctuation():
    suggested = suggest_mapping("customers", ["Customer ID", "E-Mail", "Signup Date", "whatever"])
    assert suggested["customer_id"] == "Customer ID"
    assert suggested["email"] == "E-Mail"
    assert suggested["signup_date"] == "Signup Date"
    assert suggested["region"] is None


def test_old_uploads_are_pruned(tmp_path):
    import os
    import time

    old = save_upload(tmp_path, "old.csv", b"a\n1\n")
    stale = time.time() - 2 * 24 * 3600
    os.utime(upload_path(tmp_path, old), (stale, stale))
    fresh = save_upload(tmp_path, "new.csv", b"a\n1\n")
    assert upload_path(tmp_path, fresh).exists()
    with pytest.raises(SourceError, match="no longer on the server"):
        upload_path(tmp_path, old)
