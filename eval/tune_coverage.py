"""Fit the coverage verdict's logistic weights on real interview questions labelled against
the guide (and our own in-scope dev queries, which the guide answers); report 5-fold
cross-validated rates on the real dev set, and print the CoverageModel to paste.

    python -m eval.tune_coverage              # fit on the dev sets
    python -m eval.tune_coverage --holdout    # also report the held-out real set, once tuning is done
    python -m eval.tune_coverage --llm smollm2-135m   # the bundled model as the evaluator instead, for comparison

The held-out real questions (other repositories, other authors) are never fitted on.
"""

from __future__ import annotations

import sys

import numpy as np

from eval.records import DATASETS_DIR, Record, load

FIT_SETS = ("real_questions_dev.jsonl", "retrieval_dev.jsonl")
HOLDOUT = "real_questions_holdout.jsonl"
# The verdict's goals: a question the guide answers is marked answered (>= 0.90, with a
# margin for unseen questions), and as many others as possible are not.
TARGET_ANSWERED = 0.92
# Real questions count three times our own learner-style queries: the verdict is for the
# questions learners bring, and our own only keep it from doubting typo-ridden ones.
REAL_WEIGHT = 3.0


def fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression on standardised features; weights in raw units."""
    from sklearn.linear_model import LogisticRegression

    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(max_iter=2000).fit((x - mu) / sd, y, sample_weight=weight)
    w = model.coef_[0] / sd
    return w, float(model.intercept_[0] - w @ mu)


def probabilities(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w + b)))


def evidence(decider, records: list[Record]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows of the in-scope records (the scope gate refuses the rest before any
    verdict), whether the guide answers each, and whether the verdict is partial outright
    (a figure or name missing), whatever the model says."""
    from assistant.answering.coverage import FEATURES

    rows, labels, outright = [], [], []
    for rec in records:
        d = decider.decide(rec.query, rec.history)
        if not d.scope.in_scope or d.query.numbers:
            continue
        sources = d.grounded.sources
        feats = decider.coverage.features(d.query, sources, d.scope.probability)
        rows.append([feats[n] for n in FEATURES])
        labels.append(rec.coverage == "answered")
        outright.append(decider.coverage.lacks_outright(d.query, sources))
    return np.array(rows, dtype=np.float64), np.array(labels, dtype=np.float64), np.array(outright, dtype=bool)


def threshold_for(p_answered: np.ndarray) -> float:
    """The highest threshold that still marks TARGET_ANSWERED of the answered questions
    answered (those partial outright have p = 0 and count against it)."""
    return float(np.quantile(p_answered, 1 - TARGET_ANSWERED))


def rates(p: np.ndarray, y: np.ndarray, t: float) -> str:
    marked = p >= t
    return (f"answered marked answered {_share(marked[y == 1])} (n={int(y.sum())}), "
            f"others flagged {_share(~marked[y == 0])} (n={int((1 - y).sum())})")


def _share(flags: np.ndarray) -> str:
    """The share of True as 0.000, or "-" for none at all (our own dev set has no others)."""
    return f"{flags.mean():.3f}" if flags.size else "-"


def cross_validated(x: np.ndarray, y: np.ndarray, real: np.ndarray, folds: int = 5) -> np.ndarray:
    """Out-of-fold probabilities for the real questions (own queries always fitted)."""
    rng = np.random.default_rng(0)
    fold = rng.permutation(len(y)) % folds
    p = np.zeros(len(y))
    weight = np.where(real, REAL_WEIGHT, 1.0)
    for k in range(folds):
        test = (fold == k) & real
        w, b = fit_logistic(x[~test], y[~test], weight[~test])
        p[test] = probabilities(x[test], w, b)
    return p


JUDGE_PROMPT = (
    "Passage:\n{passage}\n\nQuestion: {question}\n"
    "Does the passage fully answer the question? Reply with yes or no."
)


def llm_verdicts(decider, records: list[Record], model: str) -> tuple[np.ndarray, np.ndarray]:
    """The embedded `model` asked whether the chosen question's answer answers each
    in-scope record: (its yes as 1.0, the label)."""
    from assistant.core.settings import Settings
    from assistant.runtime import open_llm

    llm = open_llm(Settings(llm_backend="embedded", llm_model=model))
    said, labels = [], []
    for rec in records:
        d = decider.decide(rec.query, rec.history)
        if not d.scope.in_scope or d.query.numbers:
            continue
        prompt = JUDGE_PROMPT.format(passage=d.grounded.sources[0].chunk.text, question=rec.query)
        reply = llm.complete([{"role": "user", "content": prompt}], max_tokens=3, temperature=0.0)
        said.append(float(reply.strip().lower().startswith("yes")))
        labels.append(rec.coverage == "answered")
    return np.array(said), np.array(labels, dtype=np.float64)


def main(argv: list[str]) -> int:
    from assistant.answering.coverage import FEATURES
    from assistant.core.settings import Settings
    from assistant.runtime import open_decider, open_retriever

    settings = Settings()
    decider = open_decider(settings, open_retriever(settings))  # verdicts never call a model
    if "--llm" in argv:
        model = argv[argv.index("--llm") + 1]
        said, labels = llm_verdicts(decider, load(DATASETS_DIR / FIT_SETS[0]), model)
        print(f"{model} as the evaluator, real dev (in scope, {len(labels)}): {rates(said, labels, 0.5)}")
        return 0
    parts = [evidence(decider, load(DATASETS_DIR / name)) for name in FIT_SETS]
    x = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    outright = np.concatenate([p[2] for p in parts])
    real = np.concatenate([np.full(len(p[1]), i == 0) for i, p in enumerate(parts)])

    p_cv = np.where(outright, 0.0, cross_validated(x, y, real))
    t_cv = threshold_for(p_cv[real & (y == 1)])
    print(f"5-fold cross-validated, real dev (in scope, {int(real.sum())}): {rates(p_cv[real], y[real], t_cv)}")

    w, b = fit_logistic(x, y, np.where(real, REAL_WEIGHT, 1.0))
    p = np.where(outright, 0.0, probabilities(x, w, b))
    t = threshold_for(p[real & (y == 1)])
    print(f"fitted, real dev: {rates(p[real], y[real], t)}; own dev: {rates(p[~real], y[~real], t)}")
    if "--holdout" in argv:
        xh, yh, oh = evidence(decider, load(DATASETS_DIR / HOLDOUT))
        ph = np.where(oh, 0.0, probabilities(xh, w, b))
        print(f"held-out real (in scope, {len(yh)}): {rates(ph, yh, t)}")
    print("\nCoverageModel(")
    print(f"    weights=({', '.join(f'{v:.3f}' for v in w)}),  # {', '.join(FEATURES)}")
    print(f"    bias={b:.3f},")
    print(f"    threshold={t:.3f},")
    print(")")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
