"""RAGAS metrics, kept behind one module because RAGAS's API moves between releases
(pinned: ragas==0.4.3, where the ID-based metrics still live in `ragas.metrics`).

- ID-based context precision/recall need no LLM: they compare retrieved and reference ids.
- Faithfulness and answer relevancy need a judge LLM: any OpenAI-compatible server
  (llama.cpp's server, vLLM, Ollama's /v1). No OpenAI key and no internet are needed
  when the judge is local. A sample the judge fails on counts as failed, never as 0 or 1.
"""

from __future__ import annotations

import asyncio
import math
import os
import warnings

# RAGAS reports usage to its authors unless told not to; this tool never phones home.
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")


def id_based_scores(retrieved: list[str], reference: list[str]) -> dict[str, float]:
    """RAGAS IDBasedContextPrecision / IDBasedContextRecall for one query.

    >>> id_based_scores(["Q38", "Q1"], ["Q38"])
    {'ragas_id_context_precision': 0.5, 'ragas_id_context_recall': 1.0}
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the new home lacks these metrics
        from ragas.dataset_schema import SingleTurnSample
        from ragas.metrics import IDBasedContextPrecision, IDBasedContextRecall

    sample = SingleTurnSample(retrieved_context_ids=list(retrieved), reference_context_ids=list(reference))
    return {
        "ragas_id_context_precision": float(IDBasedContextPrecision().single_turn_score(sample)),
        "ragas_id_context_recall": float(IDBasedContextRecall().single_turn_score(sample)),
    }


class _Embeddings:
    """Our MiniLM encoder in RAGAS's embedding interface (answer relevancy needs one)."""

    def __new__(cls, encoder):
        from ragas.embeddings.base import BaseRagasEmbedding

        class Adapter(BaseRagasEmbedding):
            def embed_text(self, text, **kw):
                return encoder.get_text_embedding(text)

            async def aembed_text(self, text, **kw):
                return encoder.get_text_embedding(text)

        return Adapter()


class Judge:
    """Faithfulness and answer relevancy through an OpenAI-compatible judge server."""

    def __init__(
        self, base_url: str, model: str | None, encoder, api_key: str = "not-needed", timeout: float = 300,
        max_tokens: int = 1024,
    ):
        from openai import AsyncOpenAI, OpenAI
        from ragas.llms import llm_factory
        from ragas.metrics.collections import AnswerRelevancy, Faithfulness

        if model is None:  # single-model servers: take what they serve
            model = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0).models.list().data[0].id
        client = AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)
        llm = llm_factory(model, client=client, max_tokens=max_tokens, temperature=0.0)
        self.model = model
        self.errors: list[str] = []  # one line per failed judge call, for the report
        # One loop for the judge's life: its HTTP client's connections belong to it.
        self._loop = asyncio.new_event_loop()
        self.faithfulness = Faithfulness(llm=llm)
        self.relevancy = AnswerRelevancy(llm=llm, embeddings=_Embeddings(encoder), strictness=1)

    def score(self, question: str, answer: str, contexts: list[str]) -> dict[str, float]:
        """Both scores for one answer; NaN where the judge failed (bad JSON, timeout...)."""
        return {
            "faithfulness": self._run(self.faithfulness.ascore(user_input=question, response=answer,
                                                              retrieved_contexts=contexts)),
            "answer_relevancy": self._run(self.relevancy.ascore(user_input=question, response=answer)),
        }

    def _run(self, coroutine) -> float:
        try:
            value = self._loop.run_until_complete(coroutine).value
        except Exception as exc:  # noqa: BLE001 - any judge failure is one failed sample, counted
            self.errors.append(_reason(exc))
            return math.nan
        if value is None:
            self.errors.append("the judge returned no score")
            return math.nan
        return float(value)


def _reason(exc: BaseException) -> str:
    """The first line of what really failed: retry wrappers hide the cause in their last
    failed attempt (instructor's `failed_attempts`, tenacity's `last_attempt`) or `__cause__`.

    >>> _reason(RuntimeError("judge down")), _reason(ValueError(""))
    ('RuntimeError: judge down', 'ValueError: ')
    """
    seen = exc
    for _ in range(5):  # wrappers nest a few levels at most
        attempts = getattr(seen, "failed_attempts", None)
        last = getattr(seen, "last_attempt", None)
        inner = (attempts[-1].exception if attempts else None) or (
            last.exception() if hasattr(last, "exception") else None) or seen.__cause__
        if inner is None or inner is seen:
            break
        seen = inner
    text = str(seen).strip()
    return f"{type(seen).__name__}: {text.splitlines()[0][:160] if text else ''}"
