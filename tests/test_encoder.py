"""The direct torch encoder (assistant/store/bert_encoder.py) against sentence-transformers,
both loading the bundled all-MiniLM-L6-v2 from the same folder: the vectors the index,
the phrasings and the scope bank were built with must be the ones sentence-transformers
would give, or swapping one for the other would silently change every score."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from assistant.store import bert_encoder
from assistant.store.embeddings import BUNDLED_NAME, load_embed_model, resolve_model_path
from tests.conftest import GUIDE

# Measured on this machine (torch 2.13 CPU, sentence-transformers 6.2, 1 or 2 threads):
# the largest absolute difference over TEXTS was 2.6e-7 (float32 rounding). The bound
# leaves room for another BLAS and still catches subtle slips, measured by patching the
# encoder: truncating one word piece early 7e-3, tanh-approximated GELU 3.4e-4, LayerNorm
# eps 1e-5 instead of 1e-12 1.6e-4, dropped token-type embeddings 0.67.
MAX_ABS_DIFF = 1e-6


def _texts() -> list[str]:
    words = GUIDE.read_text(encoding="utf-8").split()
    return [
        "GQA",  # one word
        "explain GQA vs MQA",  # a learner's query
        "Was ist Grouped-Query-Attention? 日本語のテキスト 🤖 café naïve",  # unicode: accents, CJK, emoji
        " ".join(words[:600]),  # far past 256 word pieces: truncation
        "a " * 400,  # 400 pieces of one token: truncation without punctuation
        "",  # empty: [CLS] [SEP] only
        "   ",  # whitespace only
        "?!",  # punctuation only
    ]


TEXTS = _texts()


@pytest.fixture(scope="module")
def folder():
    return resolve_model_path(BUNDLED_NAME)


@pytest.fixture(scope="module")
def ours(folder):
    model = load_embed_model(BUNDLED_NAME)
    # The comparison is worth something only if the project really uses the direct encoder
    # for the bundled model (else both sides would be sentence-transformers).
    assert isinstance(model, bert_encoder.BertSentenceEncoder)
    return model


@pytest.fixture(scope="module")
def reference(folder):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu")


def test_the_long_texts_really_are_truncated(ours, reference):
    full = [len(reference.tokenizer(t)["input_ids"]) for t in TEXTS]
    kept = [sum(e.attention_mask) for e in ours.tokenizer.encode_batch(TEXTS)]  # real tokens, not padding
    assert reference.max_seq_length == ours.max_len == 256
    assert full[3] > 1000 and full[4] == 402  # before truncation: the case is exercised
    assert kept[3] == kept[4] == 256 and kept[5] == 2  # after: [CLS] ... [SEP] at most 256


def test_vectors_match_sentence_transformers(ours, reference):
    mine = ours.encode(TEXTS)
    theirs = reference.encode(TEXTS, batch_size=32, convert_to_numpy=True)
    assert mine.shape == theirs.shape == (len(TEXTS), 384) and mine.dtype == np.float32
    diff = np.abs(mine - theirs).max(axis=1)
    assert diff.max() < MAX_ABS_DIFF, dict(zip(range(len(TEXTS)), diff.tolist()))
    cosine = (mine * theirs).sum(axis=1) / (np.linalg.norm(mine, axis=1) * np.linalg.norm(theirs, axis=1))
    assert (cosine > 0.9999).all(), cosine
    assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)  # unit vectors, as the index stores
    # The texts are told apart (a constant vector would match itself too), except "" and
    # "   ", which are the same two tokens, [CLS] [SEP].
    similar = mine @ mine.T
    assert similar[5, 6] > 0.9999
    others = ~np.eye(len(TEXTS), dtype=bool)
    others[5, 6] = others[6, 5] = False
    assert similar[others].max() < 0.99


def test_batch_and_single_encoding_agree(ours):
    """Padding in a batch must not leak into the mean: each text alone gives the same vector."""
    batch = ours.encode(TEXTS)
    single = np.stack([ours.encode([t])[0] for t in TEXTS])
    assert np.abs(batch - single).max() < MAX_ABS_DIFF
    # Batches split across `batch_size` boundaries, and the llama-index style methods, agree too.
    small = bert_encoder.BertSentenceEncoder(resolve_model_path(BUNDLED_NAME), batch_size=3)
    assert np.abs(small.encode(TEXTS) - batch).max() < MAX_ABS_DIFF
    assert np.abs(np.array(ours.get_text_embedding_batch(TEXTS)) - batch).max() < MAX_ABS_DIFF
    assert np.abs(np.array(ours.get_query_embedding(TEXTS[1])) - batch[1]).max() < MAX_ABS_DIFF
    assert ours.encode([]).shape == (0, 384)


def test_models_the_encoder_cannot_run_go_to_sentence_transformers(folder, tmp_path):
    """Only a mean-pooled, normalised BERT is taken by the direct encoder; CLS pooling is not."""
    assert bert_encoder.supports(folder)
    copy = tmp_path / "cls-pooled"
    shutil.copytree(folder, copy, copy_function=os.symlink)  # links: the package's files stay untouched
    pooling = copy / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.unlink()  # the link, not the installed file
    pooling.write_text(json.dumps(config))
    assert not bert_encoder.supports(copy)
    fallback = load_embed_model(str(copy))
    assert not isinstance(fallback, bert_encoder.BertSentenceEncoder)
    # CLS pooling gives other vectors than mean pooling: the fallback really runs this model.
    cls_vector = np.array(fallback.get_text_embedding(TEXTS[1]))
    assert 0.5 < float(cls_vector @ load_embed_model(BUNDLED_NAME).encode([TEXTS[1]])[0]) < 0.999
