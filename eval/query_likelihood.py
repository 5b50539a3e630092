"""The bundled model's query likelihood as evidence, measured (not used by the assistant).

As in UPR (Sachan et al. 2022, "Improving Passage Retrieval with Zero-Shot Question
Generation"), a language model scores how likely the learner's question is after each
retrieved answer, per token, less its likelihood with no passage (pointwise mutual
information). Printed for the real dev questions: hit@1 when the top 5 are reranked by it
(alone, and added to the fused score), and how well it tells the questions the guide
answers from the others, alone and as a fifth feature of the coverage verdict (5-fold
cross-validated, at the threshold that keeps 0.92 of the answered ones).

    python -m eval.query_likelihood [smollm2-135m | gemma3-270m]   # ~7 / ~25 minutes on 2 cores
"""

from __future__ import annotations

import sys

import numpy as np

from eval.records import load
from eval.tune_coverage import DATASETS_DIR, FIT_SETS, fit_logistic, probabilities, threshold_for

PROMPT = "Passage: {passage}\n\nA question this passage answers:\nQuestion: "
TOP = 5
LAMBDAS = (0.02, 0.05, 0.1, 1.0)


class QueryScorer:
    """Mean log-probability per token of a question after a prefix, from a GGUF model."""

    def __init__(self, model: str):
        from llama_cpp import Llama

        from assistant.llm.embedded import resolve_gguf

        self.llm = Llama(model_path=str(resolve_gguf(model)), n_ctx=2048, logits_all=True, verbose=False)

    def logp(self, prefix: str, question: str) -> float:
        head = self.llm.tokenize(prefix.encode(), add_bos=True)
        tail = self.llm.tokenize(question.encode(), add_bos=False)
        tokens = head + tail
        self.llm.reset()
        self.llm.eval(tokens)
        logits = np.asarray(self.llm.scores[: len(tokens)], dtype=np.float64)
        total = 0.0
        for i in range(len(head), len(tokens)):
            row = logits[i - 1]
            total += row[tokens[i]] - (row.max() + np.log(np.exp(row - row.max()).sum()))
        return total / len(tail)

    def pmi(self, passage: str, question: str, alone: float) -> float:
        return self.logp(PROMPT.format(passage=passage[:1000]), question) - alone


def _auc(p: np.ndarray, y: np.ndarray) -> float:
    return float((p[y == 1][:, None] > p[y == 0][None, :]).mean())


def _cv_flagged(x: np.ndarray, y: np.ndarray, outright: np.ndarray, seeds: int = 10) -> tuple[float, float]:
    """(others flagged at 0.92 answered, AUC), 5-fold cross-validated, averaged over seeds."""
    out = []
    for seed in range(seeds):
        fold = np.random.default_rng(seed).permutation(len(y)) % 5
        p = np.zeros(len(y))
        for k in range(5):
            test = fold == k
            w, b = fit_logistic(x[~test], y[~test], np.ones(int((~test).sum())))
            p[test] = probabilities(x[test], w, b)
        p = np.where(outright, 0.0, p)
        t = threshold_for(p[y == 1])
        out.append(((p[y == 0] < t).mean(), _auc(p, y)))
    return tuple(np.mean(out, axis=0))


def main(argv: list[str]) -> int:
    from assistant.answering.coverage import FEATURES
    from assistant.core.settings import Settings
    from assistant.runtime import open_decider, open_retriever

    model = argv[0] if argv else "smollm2-135m"
    settings = Settings()
    decider = open_decider(settings, open_retriever(settings))
    scorer = QueryScorer(model)
    hits = {lam: 0 for lam in (0.0, *LAMBDAS, float("inf"))}
    ranked, rows, labels, outright = 0, [], [], []
    for rec in load(DATASETS_DIR / FIT_SETS[0]):
        d = decider.decide(rec.query, rec.history)
        top = decider.retriever.search(d.query, TOP)
        alone = scorer.logp("Question: ", rec.query)
        pmi = {h.chunk.id: scorer.pmi(h.chunk.text, rec.query, alone) for h in top}
        if rec.reference_ids and rec.coverage != "not_covered":
            ranked += 1
            for lam in hits:
                key = (lambda h: pmi[h.chunk.id]) if lam == float("inf") else (lambda h: h.score + lam * pmi[h.chunk.id])
                hits[lam] += max(top, key=key).chunk.id in rec.reference_ids
        if d.scope.in_scope and not d.query.numbers:
            sources = d.grounded.sources
            feats = decider.coverage.features(d.query, sources, d.scope.probability)
            chosen = pmi.get(sources[0].chunk.id, min(pmi.values()))
            rows.append([feats[n] for n in FEATURES] + [chosen])
            labels.append(rec.coverage == "answered")
            outright.append(decider.coverage.lacks_outright(d.query, sources))
    print(f"{model}: reranking the top {TOP} of {ranked} real dev questions the guide answers, hit@1")
    for lam, n in hits.items():
        label = "fused score" if lam == 0 else ("likelihood alone" if lam == float("inf") else f"fused + {lam} x PMI")
        print(f"  {label}: {n / ranked:.3f}")
    x, y, o = np.array(rows), np.array(labels, dtype=np.float64), np.array(outright)
    print(f"coverage verdict, {len(y)} in scope: PMI alone AUC {_auc(x[:, -1], y):.3f}")
    for label, cols in (("the four features", slice(0, -1)), ("with PMI as a fifth", slice(None))):
        flagged, auc = _cv_flagged(x[:, cols], y, o)
        print(f"  {label}: others flagged {flagged:.3f} at 0.92 answered, AUC {auc:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
