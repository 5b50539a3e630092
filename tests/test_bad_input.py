"""Bad input: one-line error naming problem and fix, non-zero exit, and the old index still answers."""

import json

import pytest

from tests.conftest import call_study, run_study


def assert_one_line_error(result, *needles):
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def assert_still_answers(index):
    result = call_study(["search", "--json", "explain GQA vs MQA"], index)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["id"] == "Q38"
    assert len(json.loads(result.stdout)["results"]) == 5


def _write(path, data):
    path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name, content, needles",
    [
        ("empty.md", b"", ["is empty", "Q1."]),
        ("binary.md", bytes(range(256)) * 64, ["binary file", "--guide"]),
        ("prose.md", "# My notes\n\nTransformers are neat.\n", ["no question headings", "### Q1."]),
        ("dup.md", "## S\n### Q1. A?\nx\n### Q2. B?\ny\n### Q2. C?\nz\n", ["question 2 twice", "renumber"]),
    ],
)
def test_bad_guides_are_refused_and_index_survives(index_copy, tmp_path, name, content, needles):
    guide = _write(tmp_path / name, content)
    assert_one_line_error(call_study(["ingest", "--guide", str(guide)], index_copy), *needles)
    assert_still_answers(index_copy)


def test_missing_guide_path(index_copy, tmp_path):
    missing = tmp_path / "nope.md"
    # Through the real console script once: exit code and stderr as a shell sees them.
    assert_one_line_error(run_study(["ingest", "--guide", str(missing)], index_copy), "not found", "--guide PATH")
    assert_still_answers(index_copy)


@pytest.fixture(scope="module")
def other_model(tmp_path_factory):
    """A real, different sentence-transformers model: MiniLM plus a 384->128 projection."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense

    from assistant.store.embeddings import bundled_model_dir

    base = SentenceTransformer(str(bundled_model_dir()), device="cpu")
    dense = Dense(in_features=384, out_features=128)
    path = tmp_path_factory.mktemp("models") / "minilm-128"
    SentenceTransformer(modules=[base[0], base[1], dense], device="cpu").save(str(path))
    return path


def test_index_from_another_embedding_model_is_refused(index_copy, other_model):
    result = call_study(["ingest"], index_copy, STUDY_EMBED_MODEL=other_model)
    assert_one_line_error(result, "384 dimensions", "128 dimensions", "--rebuild")
    search = call_study(["search", "GQA"], index_copy, STUDY_EMBED_MODEL=other_model)
    assert_one_line_error(search, "384 dimensions", "STUDY_EMBED_MODEL")
    assert_still_answers(index_copy)


def test_search_without_index_says_run_ingest(tmp_path):
    assert_one_line_error(call_study(["search", "GQA"], tmp_path / "empty-index"), "no index", "study ingest")
    as_json = call_study(["ask", "--json", "GQA"], tmp_path / "empty-index")
    assert_one_line_error(as_json, "no index")  # and a program reading stdout sees it too
    error = json.loads(as_json.stdout)
    assert "no index" in error["error"] and "study ingest" in error["fix"]


def test_bad_setting_and_bad_stdin_line(index_copy):
    assert_one_line_error(call_study(["search", "x"], index_copy, STUDY_TOP_K="many"), "STUDY_TOP_K", "fix or unset")
    result = call_study(["search", "--json"], index_copy, stdin='{"query": 5}\nexplain LoRA\n')
    assert result.returncode == 2
    assert "no string 'query'" in result.stderr
    bad, good = (json.loads(line) for line in result.stdout.splitlines())  # output line n answers input line n
    assert bad["error"] == "stdin JSON has no string 'query'" and "history" in bad["fix"]
    assert good["results"][0]["id"] == "Q63"
