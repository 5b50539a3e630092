"""Fit the scope gate's logistic weights on dev (in scope) + out_of_scope; report
5-fold cross-validated rates and the untouched holdouts.

    python -m eval.tune_scope            # prints rates and the ScopeModel to paste
"""

from __future__ import annotations

import sys

import numpy as np

from eval.records import DATASETS_DIR, load

# Never used for fitting. The "blind" and "fresh" sets were written by someone who never
# saw the off-topic bank or the learner phrasings, so they also measure how far those reach.
HOLDOUTS = (
    "retrieval_holdout.jsonl",
    "conversations.jsonl",
    "retrieval_blind.jsonl",
    "retrieval_fresh.jsonl",
    "out_of_scope_holdout.jsonl",
    "out_of_scope_blind.jsonl",
    "out_of_scope_fresh.jsonl",
)
TARGET_FALSE_REFUSAL = 0.04  # under the 0.05 goal, with a margin for unseen questions


def feature_rows(gate, records) -> np.ndarray:
    from assistant.answering.scope import FEATURES

    rows = []
    for rec in records:
        f = gate.features(gate.retriever.read(rec.query, rec.history).probe)
        rows.append([f[name] for name in FEATURES])
    return np.array(rows, dtype=np.float64)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 4000, lr: float = 0.5):
    """Plain gradient descent on standardised features; returns weights and bias in raw units."""
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mu) / sd
    w, b = np.zeros(x.shape[1]), 0.0
    # In-scope examples outnumber out-of-scope ones; weigh classes equally.
    cw = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = (p - y) * cw
        w -= lr * (z.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    return w / sd, b - float((w / sd) @ mu)


def probabilities(x, w, b):
    return 1 / (1 + np.exp(-(x @ w + b)))


def pick_threshold(p_in: np.ndarray) -> float:
    """The highest threshold that still keeps false refusals on in-scope queries at target."""
    return float(np.quantile(p_in, TARGET_FALSE_REFUSAL))


def by_model(gate, records):
    """Records the logistic model decides, and how the others (naming a question number)
    are decided by rule: those never reach the model, so they are neither fitted on nor
    counted as its errors."""
    ruled = [(rec, gate.by_number(gate.retriever.read(rec.query, rec.history))) for rec in records]
    return [r for r, v in ruled if v is None], [not v.in_scope for _, v in ruled if v is not None]


def refused_with(gate, records, w, b, t):
    """(record, refused, probability) for every record, rule-decided ones included."""
    verdicts = [gate.by_number(gate.retriever.read(rec.query, rec.history)) for rec in records]
    modelled = [rec for rec, v in zip(records, verdicts) if v is None]
    p = iter(probabilities(feature_rows(gate, modelled), w, b) if modelled else ())
    out = []
    for rec, verdict in zip(records, verdicts):
        pi = float(verdict.in_scope) if verdict else next(p)
        out.append((rec, not verdict.in_scope if verdict else pi < t, pi))
    return out


def main() -> int:
    from assistant.answering.scope import FEATURES
    from assistant.core.settings import Settings
    from assistant.runtime import open_retriever, open_scope

    settings = Settings()
    gate = open_scope(settings, open_retriever(settings))
    ins, ins_ruled = by_model(gate, load(DATASETS_DIR / "retrieval_dev.jsonl"))
    outs, outs_ruled = by_model(gate, load(DATASETS_DIR / "out_of_scope.jsonl"))
    x = np.vstack([feature_rows(gate, ins), feature_rows(gate, outs)])
    y = np.array([1] * len(ins) + [0] * len(outs), dtype=np.float64)

    rng = np.random.default_rng(0)
    folds = rng.permutation(len(y)) % 5
    refused, false_refused = list(outs_ruled), list(ins_ruled)
    styles = ["by number"] * len(outs_ruled)
    for k in range(5):
        tr, te = folds != k, folds == k
        w, b = fit_logistic(x[tr], y[tr])
        t = pick_threshold(probabilities(x[tr][y[tr] == 1], w, b))
        p = probabilities(x[te], w, b)
        refused += list(p[y[te] == 0] < t)
        styles += [outs[i - len(ins)].style for i in np.flatnonzero(te) if i >= len(ins)]
        false_refused += list(p[y[te] == 1] < t)
    print(f"5-fold CV: refusal {np.mean(refused):.3f} on out_of_scope, false refusal {np.mean(false_refused):.3f} on dev")
    print(f"   ({len(ins_ruled) + len(outs_ruled)} records name a question number and are decided by rule)")
    for style in sorted(set(styles)):
        picked = [r for r, s in zip(refused, styles) if s == style]
        print(f"   refusal of {style} out-of-scope questions: {np.mean(picked):.3f} (n={len(picked)})")

    w, b = fit_logistic(x, y)
    t = pick_threshold(probabilities(x[y == 1], w, b))
    for name in HOLDOUTS:
        rows = refused_with(gate, load(DATASETS_DIR / name), w, b, t)
        oos = rows[0][0].kind == "out_of_scope"
        print(f"{name}: {'refusal' if oos else 'false refusal'} {np.mean([r for _, r, _ in rows]):.3f} (n={len(rows)})")
        for rec, r, pi in rows:
            if r != oos:
                print(f"   miss p={pi:.2f} {rec.query}")
    print(f"weights for {FEATURES}:")
    print(f"ScopeModel(weights=({', '.join(f'{v:.3f}' for v in w)}), bias={b:.3f}, threshold={t:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
