"""Browser uploads: decoding, size limit, safe storage, preview and mapping suggestions."""
from __future__ import annotations

import base64

import pytest

from data.ingest.contract import IngestLimits, SourceError
from data.ingest.uploads import (Upload, UploadQuota, decode_upload, preview_upload, save_upload, suggest_mapping,
                                 upload_path)


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


KB = 1024


def _quota(total_kb: int, session_kb: int, keep_hours: float = 24) -> UploadQuota:
    return UploadQuota(total_bytes=total_kb * KB, session_bytes=session_kb * KB, keep_seconds=int(keep_hours * 3600))


def test_a_session_over_its_quota_is_refused_and_others_still_upload(tmp_path):
    quota = _quota(total_kb=100, session_kb=40)
    first = save_upload(tmp_path, "a.csv", b"x" * 30 * KB, quota=quota, owner="a" * 16)
    with pytest.raises(SourceError, match=r"b.csv \(20 KB\) would take this browser session's uploads to 50 KB, "
                                          r"over its 40 KB quota \(FORESIGHT_UPLOAD_SESSION_QUOTA_MB\)"):
        save_upload(tmp_path, "b.csv", b"x" * 20 * KB, quota=quota, owner="a" * 16)
    other = save_upload(tmp_path, "c.csv", b"x" * 20 * KB, quota=quota, owner="b" * 16)
    assert upload_path(tmp_path, first).exists() and upload_path(tmp_path, other).exists()
    assert len(list(tmp_path.iterdir())) == 2 + 1  # the two uploads and the quota's lock file, nothing refused


def test_the_instance_quota_holds_across_sessions(tmp_path):
    quota = _quota(total_kb=50, session_kb=40)
    save_upload(tmp_path, "a.csv", b"x" * 30 * KB, quota=quota, owner="a" * 16)
    with pytest.raises(SourceError, match=r"the server's space for uploads is full: 30 KB of its 50 KB quota "
                                          r"\(FORESIGHT_UPLOAD_QUOTA_MB\) is in use"):
        save_upload(tmp_path, "b.csv", b"x" * 30 * KB, quota=quota, owner="b" * 16)


def test_a_discarded_or_expired_upload_stops_counting(tmp_path):
    import os
    import time

    from data.ingest.uploads import discard_upload

    quota = _quota(total_kb=100, session_kb=40, keep_hours=1)
    kept = save_upload(tmp_path, "a.csv", b"x" * 30 * KB, quota=quota, owner="a" * 16)
    discard_upload(tmp_path, kept)
    discard_upload(tmp_path, kept)  # twice is fine
    old = save_upload(tmp_path, "b.csv", b"x" * 30 * KB, quota=quota, owner="a" * 16)
    stale = time.time() - 2 * 3600
    os.utime(upload_path(tmp_path, old), (stale, stale))
    save_upload(tmp_path, "c.csv", b"x" * 30 * KB, quota=quota, owner="a" * 16)  # the stale one was swept first
    with pytest.raises(SourceError, match="no longer on the server"):
        upload_path(tmp_path, old)


def test_the_sweep_removes_only_expired_uploads(tmp_path):
    import os
    import time

    from data.ingest.uploads import sweep_uploads

    fresh = save_upload(tmp_path, "a.csv", b"a\n1\n", owner="c" * 16)
    old = save_upload(tmp_path, "b.csv", b"a\n1\n")
    stale = time.time() - 3 * 3600
    os.utime(upload_path(tmp_path, old), (stale, stale))
    (tmp_path / "notes.txt").write_text("not an upload")
    assert sweep_uploads(tmp_path, keep_seconds=2 * 3600) == 1
    assert upload_path(tmp_path, fresh).exists() and (tmp_path / "notes.txt").exists()
    assert sweep_uploads(tmp_path / "missing", keep_seconds=60) == 0


def _waits_on_lock(lock_path, process) -> bool:
    """Whether ``process`` is blocked on the flock of ``lock_path`` (a ``->`` waiter in /proc/locks); False once it
    has exited without waiting."""
    inode = f":{lock_path.stat().st_ino} "
    while process.poll() is None:
        with open("/proc/locks") as locks:
            if any("->" in line and inode in line and f" {process.pid} " in line for line in locks):
                return True
    return False


def test_an_upload_in_another_worker_waits_for_the_quota_check_and_write_of_this_one(tmp_path):
    import fcntl
    import subprocess
    import sys

    from tests.services import ROOT

    save_upload(tmp_path, "first.csv", b"x", quota=_quota(100, 100))  # creates the folder and its lock file
    lock_path = tmp_path / ".quota.lock"
    script = ("import sys; from pathlib import Path; from data.ingest import SourceError, UploadQuota, save_upload\n"
              "try:\n"
              f"    save_upload(Path({str(tmp_path)!r}), 'late.csv', b'y' * 60 * 1024, "
              "quota=UploadQuota(100 * 1024, 100 * 1024))\n"
              "except SourceError as error:\n"
              "    print(error.reason)\n")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # this process is inside the check-and-write of its own upload
        other = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        waited = _waits_on_lock(lock_path, other)
        (tmp_path / f"{'a' * 32}.csv").write_bytes(b"z" * 60 * 1024)  # ... and writes it
        fcntl.flock(lock, fcntl.LOCK_UN)
    output, _ = other.communicate(timeout=60)
    assert waited, "the other upload did not wait for the quota lock"
    assert "the server's space for uploads is full" in output  # it counted this upload: 60 + 60 KB > 100 KB
