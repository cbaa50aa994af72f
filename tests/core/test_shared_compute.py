"""Computing a result once for every viewer: a lock and progress in the shared cache, across processes."""
from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest
from flask import Flask

from core.cache import cache, cache_key, cached_value, compute_shared, init_cache, latest_cached
from core.settings import Settings

_DEADLINE = 60


@pytest.fixture
def disk_cache(tmp_path):
    init_cache(Flask(__name__), Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path)}))
    return tmp_path


def _until(condition, what: str) -> None:
    """Poll ``condition`` (a test of real processes has nothing to wait on but their effects)."""
    deadline = time.monotonic() + _DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def slow_double(workdir: str, progress, x: int) -> int:
    """Counts its runs, reports half-way, then waits for the test to release it."""
    folder = Path(workdir)
    with (folder / "runs").open("a") as runs:
        runs.write("run\n")
    progress(1, 2, "EMEA / Apparel")
    _until(lambda: (folder / "release").exists(), "the release file")
    return 2 * x


def _viewer(workdir: str, results) -> None:
    seen: list[str] = []

    def report(done: int, total: int, message: str) -> None:
        seen.append(message)
        with (Path(workdir) / "reports").open("a") as reports:
            reports.write(f"{message}\n")

    value, how = compute_shared(slow_double, 7, workdir, report=report, x=21)
    results.put((value, how, seen))


def test_two_processes_asking_at_once_compute_once_and_both_see_the_progress(disk_cache, tmp_path):
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    first = context.Process(target=_viewer, args=(str(tmp_path), results))
    first.start()
    _until(lambda: (tmp_path / "runs").exists(), "the first viewer to start computing")
    second = context.Process(target=_viewer, args=(str(tmp_path), results))
    second.start()
    reports = tmp_path / "reports"
    _until(lambda: reports.exists() and reports.read_text().count("\n") >= 2, "the second viewer to relay progress")
    (tmp_path / "release").touch()
    outcomes = sorted([results.get(timeout=_DEADLINE), results.get(timeout=_DEADLINE)], key=lambda r: r[1])
    first.join(_DEADLINE)
    second.join(_DEADLINE)
    assert (tmp_path / "runs").read_text().count("run") == 1
    assert [(value, how) for value, how, _ in outcomes] == [(42, "computed"), (42, "shared")]
    assert all("EMEA / Apparel" in seen for _, _, seen in outcomes)
    assert cached_value(slow_double, 7, x=21) == 42
    assert cache.get(cache_key(slow_double, 7, {"x": 21}) + ":lock") is None


def _count(counter: list, progress, x: int) -> int:
    counter.append(x)
    return x + 1


def test_cached_results_are_not_recomputed_unless_refreshed(disk_cache):
    calls: list[int] = []
    assert compute_shared(_count, 1, calls, x=1) == (2, "computed")
    assert compute_shared(_count, 1, calls, x=1) == (2, "cache")
    assert compute_shared(_count, 1, calls, x=1, refresh=True) == (2, "computed")
    assert calls == [1, 1]


def _fail(progress, x: int) -> int:
    raise ValueError("no sales in the store")


def test_a_failed_computation_releases_its_lock(disk_cache):
    with pytest.raises(ValueError, match="no sales"):
        compute_shared(_fail, 1, x=1)
    assert cache.get(cache_key(_fail, 1, {"x": 1}) + ":lock") is None


def test_latest_cached_finds_the_newest_older_version_within_the_lookback(disk_cache):
    cache.set(cache_key(_count, 2, {"x": 1}), "v2")
    cache.set(cache_key(_count, 4, {"x": 1}), "v4")
    assert latest_cached(_count, 6, 5, x=1) == (4, "v4")
    assert latest_cached(_count, 3, 5, x=1) == (2, "v2")
    assert latest_cached(_count, 9, 3, x=1) is None
    assert latest_cached(_count, 6, 5, x=2) is None
