"""The llama.cpp models one process has loaded, and the gate their generations share.

One instance per process, owned by `assistant/runtime.py`: two sessions asking at once
must not load a model twice, and every embedded generation shares the same cores, so
one queue (`FairGate`) serves them all, whichever GGUF they run.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

from assistant.core.errors import StudyError, missing_package
from assistant.llm.gate import FairGate


class LlamaModels:
    """Loaded models keyed by (file, context size); the two most recent stay loaded (the
    UI offers two bundled models; a third choice evicts the oldest, about 200 MB each)."""

    KEEP = 2

    def __init__(self, gate: FairGate | None = None):
        self.gate = gate or FairGate()
        self._load_lock = threading.Lock()
        self._vocab_lock = threading.Lock()  # vocabularies load apart from models
        self._tokenize_lock = threading.Lock()
        self._models: OrderedDict[tuple[str, int], object] = OrderedDict()
        self._vocabs: dict[str, object] = {}

    def model(self, path: Path, n_ctx: int):
        """The llama.cpp model for a GGUF, loaded on first use."""
        key = (str(path), n_ctx)
        with self._load_lock:
            if key not in self._models:
                self._models[key] = _llama(str(path), n_ctx=n_ctx, n_threads=os.cpu_count() or 2, n_batch=512)
                while len(self._models) > self.KEEP:
                    self._models.popitem(last=False)
            self._models.move_to_end(key)
            return self._models[key]

    def count_tokens(self, path: Path, text: str) -> int:
        # A vocabulary-only copy of the model: counting never touches the context that a
        # generation in another session is using, and never waits for it, nor for a model
        # that another session is loading (vocabularies have their own lock).
        vocab = self._vocabs.get(str(path))
        if vocab is None:
            with self._vocab_lock:
                if str(path) not in self._vocabs:
                    self._vocabs[str(path)] = _llama(str(path), vocab_only=True, n_ctx=512)
                vocab = self._vocabs[str(path)]
        with self._tokenize_lock:
            return len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def _llama(path: str, **options):
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise missing_package("llama-cpp-python", "`make install` builds it for this CPU") from exc
    try:
        with _quiet_stderr():
            return Llama(model_path=path, verbose=False, **options)
    except (ValueError, RuntimeError) as exc:
        raise StudyError(f"llama.cpp could not load {path} ({exc})", "check that it is a GGUF model file") from None


@contextmanager
def _quiet_stderr():
    """llama.cpp writes load notes straight to file descriptor 2, even with verbose=False;
    stderr is for our one-line errors."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
