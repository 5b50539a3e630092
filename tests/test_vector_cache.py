"""The off-topic bank: read with clear errors, embedded once and cached, used by the gate."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answering.scope import ScopeGate, ScopeModel
from assistant.core.errors import StudyError
from assistant.core.settings import Settings
from assistant.runtime import open_scope
from assistant.store.vector_cache import bank_vectors, read_bank


class CountingEmbedder:
    """The real MiniLM, counting the texts it is asked to embed."""

    def __init__(self, model):
        self.model, self.embedded = model, 0

    def get_text_embedding_batch(self, texts, **kw):
        self.embedded += len(texts)
        return self.model.get_text_embedding_batch(texts, **kw)


def test_bank_is_embedded_once_then_read_from_the_cache(retriever, tmp_path):
    questions = ["recipe for banana bread", "who won the 2022 world cup"]
    counting = CountingEmbedder(retriever.index.embed_model)
    first = bank_vectors(counting, "all-MiniLM-L6-v2", questions, tmp_path / "index")
    again = bank_vectors(counting, "all-MiniLM-L6-v2", questions, tmp_path / "index")
    assert counting.embedded == 2 and np.array_equal(first, again)
    assert first.shape == (2, 384) and np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-4)
    # A changed bank is a different cache entry, not a stale hit.
    changed = bank_vectors(counting, "all-MiniLM-L6-v2", questions[:1], tmp_path / "index")
    assert counting.embedded == 3 and np.allclose(changed, first[:1], atol=1e-5)


def test_unwritable_cache_folder_still_gives_vectors(retriever, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    vectors = bank_vectors(retriever.index.embed_model, "all-MiniLM-L6-v2", ["how do I change a flat tire"], blocker)
    assert vectors.shape == (1, 384)


@pytest.mark.parametrize("content, problem", [(None, "cannot read"), ("# only a comment\n\n", "has no questions")])
def test_bad_bank_file_is_a_clear_error(tmp_path, content, problem):
    bank = tmp_path / "bank.txt"
    if content is not None:
        bank.write_text(content)
    with pytest.raises(StudyError) as err:
        read_bank(bank)
    assert problem in str(err.value) and "STUDY_SCOPE_BANK" in err.value.fix


def test_contrast_falls_when_the_bank_holds_the_topic(retriever, tmp_path):
    """The same off-guide question flips to refused when the bank holds its topic."""
    question = "how do I tune the PID controller of a quadcopter drone"
    settings = Settings(index_dir=tmp_path)
    unrelated = tmp_path / "unrelated.txt"
    unrelated.write_text("recipe for banana bread\n")
    near = tmp_path / "near.txt"
    near.write_text("recipe for banana bread\nPID controller gains for drone flight stabilisation\n")
    without = open_scope(settings.model_copy(update={"scope_bank": unrelated}), retriever).features(question)
    with_topic = open_scope(settings.model_copy(update={"scope_bank": near}), retriever).features(question)
    assert with_topic["contrast"] < without["contrast"] - 0.2
    assert {k: v for k, v in with_topic.items() if k != "contrast"} == {
        k: v for k, v in without.items() if k != "contrast"
    }


def test_gate_rejects_a_model_that_does_not_fit_its_features(retriever):
    with pytest.raises(ValueError, match="weights"):
        ScopeGate(retriever, np.ones((1, 384), dtype=np.float32), model=ScopeModel(weights=(1.0, 2.0)))
