"""System health: anomaly detection on streaming metrics, judged the way the Numenta Anomaly Benchmark judges it.

- NAB scoring (:func:`nab_score`, Lavin & Ahmad 2015, arXiv:1510.03336): rewards early detections inside
  labelled anomaly windows, charges false positives by how far they fall after a window and misses by ``A_fn``,
  with one corpus-wide threshold per cost profile (:data:`NAB_COST_PROFILES`), normalised so that no detections
  score 0 and a perfect detector 100. :func:`window_rows` turns timestamp windows into rows.
- The streaming Windowed Gaussian detector, NAB's baseline: :func:`windowed_gaussian_scores` for a whole series
  (each score from the values before it), :class:`WindowedGaussian` to go on one value at a time.
- The project's streaming detector (:class:`StreamingDetector`, :func:`stream_scores`, settings frozen in
  :data:`DETECTOR_DEFAULTS`, tuned once on half the NAB corpus): scores every system metric.

The benchmark on the NAB corpus is ``python -m benchmarks.nab``.

Predictions on the app's own metric series (frames ``at, value``, UTC, irregular sampling allowed; results are
frozen dataclasses with a sentence for the page): :func:`time_to_limit` (when a disk, memory or store size
reaches its limit, with an 80% interval, from the forecasting engine's ETS), :func:`detect_leak` (Theil–Sen
trend with a Mann–Kendall test and a size-relative threshold), :func:`degradation` (recent window against a
baseline: quantile ratio and rank test), :func:`capacity_plan` (hourly load 30 and 90 days ahead, workers
recommended, the day the current setting runs out), :func:`low_traffic_windows` and :func:`next_slots`
(maintenance windows) and :func:`rank_causes` (root-cause ranking from the dependency graph, anomaly order and
correlation).
"""
from __future__ import annotations

from analytics.health._nab_score import NAB_COST_PROFILES, CostProfile, NabScore, nab_score, window_rows
from analytics.health._nab_sweep import probation_rows, scaled_sigmoid
from analytics.health._windowed_gaussian import WindowedGaussian, windowed_gaussian_scores
from analytics.health._detector import DETECTOR_DEFAULTS, StreamingDetector, stream_scores

__all__ = ["NAB_COST_PROFILES", "CostProfile", "NabScore", "WindowedGaussian", "nab_score", "probation_rows",
           "scaled_sigmoid", "window_rows", "windowed_gaussian_scores"]
__all__ += ["DETECTOR_DEFAULTS", "StreamingDetector", "stream_scores"]

from analytics.health._limits import LimitForecast, time_to_limit  # noqa: E402
from analytics.health._leaks import LeakReport, detect_leak  # noqa: E402
from analytics.health._degradation import Degradation, degradation  # noqa: E402
from analytics.health._capacity import CapacityPlan, HorizonPlan, capacity_plan  # noqa: E402
from analytics.health._windows import LowTrafficWindow, low_traffic_windows, next_slots  # noqa: E402
from analytics.health._causes import Anomaly, Cause, rank_causes  # noqa: E402

__all__ += ["Anomaly", "CapacityPlan", "Cause", "Degradation", "HorizonPlan", "LeakReport", "LimitForecast",
            "LowTrafficWindow", "capacity_plan", "degradation", "detect_leak", "low_traffic_windows", "next_slots",
            "rank_causes", "time_to_limit"]
