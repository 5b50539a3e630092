"""Learner phrasings: they lift the question they belong to, and a file written for
another guide is refused with the fix."""

from __future__ import annotations

import pytest

from assistant.core.errors import StudyError
from assistant.core.settings import DEFAULT_PHRASINGS, Settings
from assistant.retrieval.phrasings import parse_phrasings, read_phrasings
from assistant.runtime import open_retriever

ODD = "zebra crossing on a rainy tuesday"  # no guide question is about this


def test_a_phrasing_lifts_its_question(shipped_index, retriever, tmp_path):
    without = open_retriever(Settings(index_dir=shipped_index, phrasings=""))
    assert without.search(ODD, 1)[0].chunk.id != "Q38"
    title = retriever.chunks[retriever.by_number[38]].title
    phrasings = tmp_path / "phrasings.md"
    phrasings.write_text(f"## Q38. {title}\n{ODD}\n", encoding="utf-8")
    lifted = open_retriever(Settings(index_dir=shipped_index, phrasings=phrasings))
    assert lifted.search(ODD, 1)[0].chunk.id == "Q38"
    # Its vectors were cached beside the index, keyed by content.
    assert list(shipped_index.glob("phrasings-*.npy"))


def test_shipped_phrasings_match_the_shipped_guide(retriever):
    titles = {c.number: c.title for c in retriever.chunks}
    phrasings = read_phrasings(DEFAULT_PHRASINGS, titles)
    assert set(phrasings.numbers) == set(titles) and len(phrasings.texts) >= 4 * len(titles)
    assert retriever.search("gqa vs mqa memory?", 1)[0].chunk.id == "Q38"


def test_the_phrasing_classifier_reads_a_described_situation(shipped_index, retriever):
    # Fitted once at ingest from the guide's titles and phrasings, cached beside the index.
    assert retriever.classifier is not None
    assert list(shipped_index.glob("classifier-*.npz"))
    query = "the bot keeps inventing references to studies nobody ever wrote"  # in no phrasing
    probabilities = retriever.classifier.probabilities(retriever.embed(retriever.prepare(query)))
    assert retriever.chunks[int(probabilities.argmax())].id == "Q29"
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


def test_ingest_embeds_the_bank_and_phrasings_for_the_first_question(tmp_path):
    """After `study ingest`, answering finds both caches and embeds nothing."""
    from tests.conftest import run_study

    index = tmp_path / "index"
    result = run_study(["ingest", "--json"], index)
    assert result.returncode == 0, result.stderr
    assert len(list(index.glob("phrasings-*.npy"))) == 1 and len(list(index.glob("scope-bank-*.npy"))) == 1


def test_unreadable_phrasings_file_is_a_clear_error(tmp_path):
    with pytest.raises(StudyError) as err:
        read_phrasings(tmp_path / "missing.md", TITLES)
    assert "cannot read" in str(err.value) and "STUDY_PHRASINGS" in err.value.fix


def test_titles_compare_without_case_or_spacing():
    got = parse_phrasings("##   Q2.  what is  RAG?\nretrieval aug gen", TITLES)
    assert got.numbers == (2,) and got.texts == ("retrieval aug gen",)
