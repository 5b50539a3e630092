import pytest

from assistant.core.errors import StudyError
from ingest.parser import parse_guide
from ingest.reader import read_guide
from tests.conftest import GUIDE
from tests.test_mojibake import DEBRIS


@pytest.fixture(scope="module")
def questions():
    return parse_guide(read_guide(GUIDE))


def test_exactly_one_chunk_per_question(questions):
    assert [q.number for q in questions] == list(range(1, 101))
    assert len({q.id for q in questions}) == 100


def test_metadata_is_clean(questions):
    q38 = questions[37]
    assert q38.id == "Q38"
    assert q38.title == "Explain group query attention (GQA)."
    assert q38.section == "Transformer Architecture"
    assert "MQA (Multi-Query)" in q38.answer
    assert not q38.answer.startswith("**Answer")
    sections = {q.section for q in questions}
    assert len(sections) == 10
    assert "Retrieval Augmented Generation - RAG" in sections
    for q in questions:
        for field in (q.text, q.title, q.section):
            assert not any(d in field for d in DEBRIS), (q.id, field)
            assert "<a " not in field and "Back to Top" not in field


def test_last_question_does_not_swallow_the_tips_section(questions):
    assert "STAR Method" not in questions[-1].answer
    assert "Chainlit" in questions[-1].answer


def test_content_hash_changes_with_the_answer(questions):
    q = questions[0]
    from dataclasses import replace

    assert replace(q, answer=q.answer + " more").content_hash != q.content_hash
    assert replace(q).content_hash == q.content_hash


def test_duplicate_question_number_is_refused():
    text = "## S\n### Q1. A?\nx\n### Q2. B?\ny\n### Q1. C?\nz\n"
    with pytest.raises(StudyError, match="question 1 twice"):
        parse_guide(text)


def test_text_without_question_headings_is_refused():
    with pytest.raises(StudyError, match="no question headings"):
        parse_guide("# Notes\nJust some prose about transformers.\n")


def test_other_heading_styles_are_recognised():
    text = "## Basics\n## Q1: What is a token?\nA piece.\n### Question 2 - What is BPE?\nMerges.\n"
    assert [(q.id, q.title) for q in parse_guide(text)] == [("Q1", "What is a token?"), ("Q2", "What is BPE?")]
