"""The local language model: its process (``python -m core.chat.llm``, which loads the model once and streams
generations over loopback HTTP) and ``LocalModel``, the client the assistant uses. Importing this package does not
import torch or transformers; only the process does."""
from __future__ import annotations

from core.chat.llm.client import LocalModel

__all__ = ["LocalModel"]
