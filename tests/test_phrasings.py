"""Learner phrasings: they lift the question they belong to, and a file written for
another guide is refused with the fix."""

from __future__ import annotations

import numpy as np
import pytest

import assistant.runtime as runtime
from assistant.core.errors import StudyError
from assistant.core.settings import DEFAULT_PHRASINGS, DEFAULT_SCOPE_BANK, Settings
from assistant.retrieval.phrasings import QuestionClassifier, parse_phrasings, read_phrasings
from assistant.runtime import open_retriever, open_scope
from assistant.store.vector_cache import cache_path, read_bank

ODD = "zebra crossing on a rainy tuesday"  # no guide question is about this


class CountingEncoder:
    """The real MiniLM encoder, recording each batch of texts it is asked to embed."""

    def __init__(self, inner):
        self.inner = inner
        self.batches: list[list[str]] = []

    def get_text_embedding_batch(self, texts, **kw):
        self.batches.append(list(texts))
        return self.inner.get_text_embedding_batch(texts, **kw)

    def embedded(self, texts) -> int:
        """How many batches held any of `texts`."""
        return sum(1 for batch in self.batches if set(texts) & set(batch))

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def counting(retriever, monkeypatch):
    """Every retriever opened in the test embeds through a CountingEncoder, and every
    classifier fit is recorded in `counting.fits`."""
    encoder = CountingEncoder(retriever.index.embed_model)
    monkeypatch.setattr(runtime, "embed_model_for", lambda name: encoder)
    encoder.fits = []
    fit = QuestionClassifier.fit

    def counted_fit(vectors, labels, n_chunks):
        encoder.fits.append(len(labels))
        return fit(vectors, labels, n_chunks)

    monkeypatch.setattr(QuestionClassifier, "fit", counted_fit)
    return encoder


def title(retriever, number: int) -> str:
    return retriever.search(f"Q{number}", 1)[0].chunk.title  # a named question routes to itself


def test_a_phrasing_lifts_its_question(index_copy, retriever, tmp_path):
    without = open_retriever(Settings(index_dir=index_copy, phrasings=""))
    assert without.search(ODD, 1)[0].chunk.id != "Q38"
    phrasings = tmp_path / "phrasings.md"
    phrasings.write_text(f"## Q38. {title(retriever, 38)}\n{ODD}\n", encoding="utf-8")
    lifted = open_retriever(Settings(index_dir=index_copy, phrasings=phrasings))
    assert lifted.search(ODD, 1)[0].chunk.id == "Q38"


def test_phrasing_vectors_are_cached_by_content_reused_and_replaced(index_copy, retriever, counting, tmp_path):
    """The first open embeds the phrasings and fits the classifier, and writes both beside
    the index; the next open reads both back and embeds neither; an edited file is a new
    cache entry, embedded once; a cache of the wrong shape is embedded again."""
    texts = ["which attention shares key heads between groups", "the adapter trick with two skinny matrices"]
    phrasings = tmp_path / "phrasings.md"

    def write(lines):
        phrasings.write_text(f"## Q38. {title(retriever, 38)}\n{lines[0]}\n## Q63. {title(retriever, 63)}\n"
                             f"{lines[1]}\n", encoding="utf-8")

    write(texts)
    settings = Settings(index_dir=index_copy, phrasings=phrasings)
    cache = cache_path(settings.embed_model, texts, settings.vector_cache, "phrasings")
    classifiers_before = set(index_copy.glob("classifier-*.npz"))
    assert not cache.exists()

    first = open_retriever(settings)
    assert counting.batches.count(texts) == 1  # embedded once, as a batch (the classifier's batch holds them too)
    assert counting.fits == [len(texts) + 100]  # the classifier: the phrasings and the 100 titles
    expected = np.array(retriever.index.embed_model.get_text_embedding_batch(texts), dtype=np.float32)
    np.testing.assert_allclose(np.load(cache), expected, atol=1e-6)  # written by this open, beside the index
    np.testing.assert_allclose(first.phrasing_vectors, expected, atol=1e-6)
    new_classifiers = set(index_copy.glob("classifier-*.npz")) - classifiers_before
    assert len(new_classifiers) == 1

    counting.batches.clear()
    second = open_retriever(settings)  # a new process would do the same
    assert counting.embedded(texts) == 0 and counting.fits == [len(texts) + 100]  # nothing embedded or fitted again
    np.testing.assert_array_equal(second.phrasing_vectors, first.phrasing_vectors)
    np.testing.assert_array_equal(second.classifier.weights, first.classifier.weights)
    assert second.search(texts[1], 1)[0].chunk.id == "Q63"

    edited = [texts[0], "the adapter trick with two thin low-rank matrices"]
    write(edited)
    counting.batches.clear()
    third = open_retriever(settings)
    new_cache = cache_path(settings.embed_model, edited, settings.vector_cache, "phrasings")
    assert new_cache != cache and new_cache.exists() and cache.exists()  # keyed by content: the old entry stays
    assert counting.batches.count(edited) == 1 and len(counting.fits) == 2  # embedded and fitted once more
    np.testing.assert_allclose(third.phrasing_vectors[1], retriever.embed(edited[1]), atol=1e-6)

    np.save(new_cache, np.zeros((2, 768), dtype=np.float32))  # as another model folder of the same name would
    counting.batches.clear()
    fourth = open_retriever(settings)
    assert counting.batches.count(edited) == 1 and np.load(new_cache).shape == (2, 384)
    np.testing.assert_array_equal(fourth.phrasing_vectors, third.phrasing_vectors)


def test_shipped_phrasings_match_the_shipped_guide(retriever):
    titles = {c.number: c.title for c in retriever.index.chunks}
    phrasings = read_phrasings(DEFAULT_PHRASINGS, titles)
    assert set(phrasings.numbers) == set(titles) and len(phrasings.texts) >= 4 * len(titles)
    assert retriever.search("gqa vs mqa memory?", 1)[0].chunk.id == "Q38"


def test_the_phrasing_classifier_reads_a_described_situation(shipped_index, retriever):
    # Fitted from the guide's titles and phrasings (its cache: the test above).
    query = "the bot keeps inventing references to studies nobody ever wrote"  # in no phrasing
    probabilities = retriever.classifier.probabilities(retriever.embed(retriever.prepare(query)))
    assert retriever.index.chunks[int(probabilities.argmax())].id == "Q29"
    assert retriever.search(query, 1)[0].chunk.id == "Q29"
    without = open_retriever(Settings(index_dir=shipped_index, phrasings=""))
    assert without.classifier is None


def test_a_follow_up_is_ranked_without_the_classifier(retriever):
    history = ["explain GQA vs MQA"]
    follow_up = "and which one uses less VRAM?"
    expected = retriever.fuse(retriever.signals(follow_up), classifier=False)
    expected = expected + retriever.weights.history * retriever.fuse(retriever.signals(history[0]), classifier=False)
    for i in retriever.title_routes(follow_up):
        expected[i] += retriever.weights.title_term
    assert (retriever.scores(retriever.read(follow_up, history)) == expected).all()
    assert retriever.search(follow_up, 1, history=history)[0].chunk.id == "Q38"


def test_empty_setting_turns_phrasings_off(monkeypatch, shipped_index):
    monkeypatch.setenv("STUDY_PHRASINGS", "")
    settings = Settings(index_dir=shipped_index)
    assert settings.phrasings is None
    assert open_retriever(settings).search("explain GQA vs MQA", 1)[0].chunk.id == "Q38"


TITLES = {1: "What is Generative AI?", 2: "What is RAG?"}


@pytest.mark.parametrize(
    "text, problem",
    [
        ("## Q1. What is a Kubernetes pod?\nk8s pods", "written for another guide"),
        ("## Q7. What is Generative AI?\ngenai", "written for another guide"),
        ("genai?\n## Q1. What is Generative AI?\n", "before any"),
        ("# only a comment\n## Q1. What is Generative AI?\n", "no phrasings"),
    ],
)
def test_phrasings_that_do_not_fit_the_guide_are_refused(text, problem):
    with pytest.raises(StudyError) as err:
        parse_phrasings(text, TITLES, "p.md")
    assert problem in str(err.value) and "STUDY_PHRASINGS" in err.value.fix


def test_an_edited_guide_keeps_the_phrasings_that_still_match():
    """A question reworded or removed since the phrasings were written loses only its own."""
    text = "## Q1. What is Generative AI?\ngenai?\n## Q2. What was RAG?\nrag?\n## Q9. Gone\nx\n"
    got = parse_phrasings(text, TITLES)
    assert (got.numbers, got.texts, got.stale) == ((1,), ("genai?",), (2, 9))


def test_ingest_refuses_phrasings_of_another_guide_before_writing(index_copy, tmp_path):
    from tests.conftest import run_study

    other = tmp_path / "other.md"
    other.write_text("## Q1. What is a Kubernetes pod?\nk8s pods\n", encoding="utf-8")
    def state():
        return sorted((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in index_copy.rglob("*") if f.is_file())

    before = state()
    result = run_study(["ingest", "--rebuild"], index_copy, STUDY_PHRASINGS=str(other))
    assert result.returncode == 2 and "written for another guide" in result.stderr and "STUDY_PHRASINGS" in result.stderr
    assert state() == before  # refused before anything was written
    found = run_study(["search", "--json", "explain GQA vs MQA"], index_copy)
    assert found.returncode == 0 and '"Q38"' in found.stdout


def test_ingest_embeds_the_bank_and_phrasings_for_the_first_question(tmp_path, counting):
    """After `study ingest`, answering finds both caches and the classifier and embeds nothing."""
    from tests.conftest import run_study

    index = tmp_path / "index"
    result = run_study(["ingest", "--json"], index)
    assert result.returncode == 0, result.stderr
    settings = Settings(index_dir=index)
    bank = read_bank(DEFAULT_SCOPE_BANK)
    opened = open_retriever(settings)
    phrasings = list(read_phrasings(DEFAULT_PHRASINGS, {c.number: c.title for c in opened.index.chunks}).texts)
    # The files ingest wrote are the entries for today's bank and phrasings, not stale ones.
    assert set(index.glob("phrasings-*.npy")) == {cache_path(settings.embed_model, phrasings, index, "phrasings")}
    assert set(index.glob("scope-bank-*.npy")) == {cache_path(settings.embed_model, bank, index, "scope-bank")}
    open_scope(settings, opened)
    assert counting.embedded(bank) == counting.embedded(phrasings) == 0 and counting.fits == []
    assert opened.search("gqa vs mqa memory?", 1)[0].chunk.id == "Q38"


def test_unreadable_phrasings_file_is_a_clear_error(tmp_path):
    with pytest.raises(StudyError) as err:
        read_phrasings(tmp_path / "missing.md", TITLES)
    assert "cannot read" in str(err.value) and "STUDY_PHRASINGS" in err.value.fix


def test_titles_compare_without_case_or_spacing():
    got = parse_phrasings("##   Q2.  what is  RAG?\nretrieval aug gen", TITLES)
    assert got.numbers == (2,) and got.texts == ("retrieval aug gen",)
