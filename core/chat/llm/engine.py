"""The language model in memory: loaded once from its GGUF file with ``transformers``, then one generation at a
time, streamed piece by piece. torch and transformers are imported here, lazily, only by the model process."""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from core.chat.llm.weights import ModelFile

__all__ = ["Engine", "split_prompt"]

# The prompt convention shared with analytics.chat.prompt.build_prompt: the first paragraph is the system
# instruction, the rest is the user's turn. The model's own chat template then wraps both.
_PARAGRAPH = "\n\n"


def split_prompt(prompt: str) -> list[dict[str, str]]:
    """Chat messages from a prompt: ``system`` = its first paragraph (when there is a second), ``user`` = the rest."""
    system, _, user = prompt.partition(_PARAGRAPH)
    if not user.strip():
        return [{"role": "user", "content": prompt}]
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class Engine:
    """One model (``spec``, ``path``) on the CPU; ``load()`` once, then ``stream(prompt, max_tokens)``."""

    def __init__(self, spec: ModelFile, path: Path, *, threads: int | None = None):
        self.spec = spec
        self.path = path
        self.threads = threads
        self.load_seconds: float | None = None
        self.error: str | None = None
        self._model = None
        self._tokenizer = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Read and de-quantise the GGUF weights (tens of seconds); offline, from the local file only."""
        started = time.perf_counter()
        os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")  # never reach the hub
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if self.threads:
            torch.set_num_threads(self.threads)
        folder, name = str(self.path.parent), self.path.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, local_files_only=True,
                                                     dtype=torch.float32)
        model.eval()
        self._tokenizer, self._model = tokenizer, model
        self.load_seconds = round(time.perf_counter() - started, 2)

    def render(self, prompt: str) -> str:
        """The prompt in the model's chat template (or plain text when the model has none)."""
        messages = split_prompt(prompt)
        if self._tokenizer.chat_template:
            try:
                return self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            except Exception:  # noqa: BLE001 — a template without a system role: fold it into the user turn
                merged = [{"role": "user", "content": prompt}]
                return self._tokenizer.apply_chat_template(merged, tokenize=False, add_generation_prompt=True)
        return prompt + "\n\nAnswer:"

    def stream(self, prompt: str, max_tokens: int, stats: dict, stop: threading.Event) -> Iterator[str]:
        """Yield the answer's text as it is generated (greedy: the same prompt gives the same text); fills
        ``stats`` with ``tokens`` (generated) and ``prompt_tokens`` when done. Setting ``stop`` (the caller went
        away, the process is stopping) ends the generation at the next token; closing the iterator does too."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class _Stopped(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool)

        inputs = self._tokenizer(self.render(prompt), return_tensors="pt", add_special_tokens=False)
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        result: dict = {}

        def run() -> None:
            try:
                with torch.inference_mode():
                    result["ids"] = self._model.generate(
                        **inputs, streamer=streamer, max_new_tokens=max_tokens, do_sample=False,
                        pad_token_id=self._tokenizer.eos_token_id,
                        stopping_criteria=StoppingCriteriaList([_Stopped()]))
            except Exception as error:  # noqa: BLE001 — reported to the caller after the stream ends
                result["error"] = f"{type(error).__name__}: {error}"
                streamer.end()

        worker = threading.Thread(target=run, name="generate", daemon=True)
        worker.start()
        try:
            for piece in streamer:
                if piece:
                    yield piece
        finally:
            if worker.is_alive():
                stop.set()
            worker.join()
        if "error" in result:
            raise RuntimeError(result["error"])
        prompt_tokens = inputs["input_ids"].shape[1]
        stats.update(tokens=int(result["ids"].shape[1] - prompt_tokens), prompt_tokens=int(prompt_tokens))
