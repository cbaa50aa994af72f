"""System health: anomaly detection on streaming metrics, judged the way the Numenta Anomaly Benchmark judges it.

- NAB scoring (:func:`nab_score`, Lavin & Ahmad 2015, arXiv:1510.03336): rewards early detections inside
  labelled anomaly windows, charges false positives by how far they fall after a window and misses by ``A_fn``,
  with one corpus-wide threshold per cost profile (:data:`NAB_COST_PROFILES`), normalised so that no detections
  score 0 and a perfect detector 100. :func:`window_rows` turns timestamp windows into rows.
- The streaming Windowed Gaussian detector, NAB's baseline: :func:`windowed_gaussian_scores` for a whole series
  (each score from the values before it), :class:`WindowedGaussian` to go on one value at a time.

The benchmark on the NAB corpus is ``python -m benchmarks.nab``.
"""
from __future__ import annotations

from analytics.health._nab_score import NAB_COST_PROFILES, CostProfile, NabScore, nab_score, window_rows
from analytics.health._nab_sweep import probation_rows, scaled_sigmoid
from analytics.health._windowed_gaussian import WindowedGaussian, windowed_gaussian_scores

__all__ = ["NAB_COST_PROFILES", "CostProfile", "NabScore", "WindowedGaussian", "nab_score", "probation_rows",
           "scaled_sigmoid", "window_rows", "windowed_gaussian_scores"]
from analytics.health._detector import DETECTOR_DEFAULTS, StreamingDetector, stream_scores

__all__ += ["DETECTOR_DEFAULTS", "StreamingDetector", "stream_scores"]
