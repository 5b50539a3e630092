"""What a question asks of its topic, and which of those asks an answer can meet.

"What is canary deployment?" and "How long should a canary release run?" share a topic and
differ in their ask: the guide's Q77 states what canary deployment is and never a duration.
The asks are English question patterns, not this guide's vocabulary, so they carry over to
any guide: a guide question's own heading says what it answers ("... and why is it
important?"), and its answer's wording shows the rest (a numbered procedure says how it
works; a figure says how much).
"""

from __future__ import annotations

import re

# ask -> pattern over a lower-cased question
QUESTION_ASKS: dict[str, str] = {
    "why": r"\bwhy\b|\bwhat(?:'s| is) the (?:point|purpose|reason)\b|\bwhat makes\b|\bsignificance\b|\bcrucial\b",
    "how_it_works": r"\bhow (?:does|do|is|are|can) (?:the |a |an )?[\w\s-]{1,40}\b(?:work|implement|achieve)"
                    r"|\bunder the hood\b|\binternally\b",
    "training": r"\bhow (?:is|are|do you|would you|to) [\w\s-]{0,30}\btrain(?:ed)?\b|\btrained from scratch\b",
    "limits": r"\blimitations?\b|\bdrawbacks?\b|\bdownsides?\b|\bdisadvantages?\b|\bweakness(?:es)?\b|\bpitfalls?\b"
              r"|\bshortcomings?\b",
    "steps": r"\b(?:steps?|stages?|phases?)\b(?! by step)",
    # asked for outright, at the start of a clause ("how long should ...", not "quantify how often")
    "duration": r"(?:^|[,;?]\s*|\band\s+)how (?:long|much time)\b",
    "amount": r"(?:^|[,;?]\s*|\band\s+)(?:how (?:many|much|big|large|often|small)\b(?! time)|what (?:size|percentage|threshold)\b)",
}
# Asks for a figure: an answer without one cannot meet them, however close its topic.
FIGURES = frozenset({"duration", "amount"})
# ask -> what in an answer meets it
ANSWER_CUES: dict[str, str] = {
    "why": r"\bwhy\b|\bimportan|\bbenefits?\b|\bpurpose\b|\bmatters?\b|\bessential\b|\bcrucial\b"
           r"|\bbecause\b|\bso that\b",
    "how_it_works": r"(?m)^\s*(?:1\.|2\.)\s|\bmechanism\b|\bprocess\b|\bworks? by\b|\bstep\b",
    "training": r"\btrain(?:ed|ing)?\b.*\b(?:objective|loss|data|on)\b|\bobjective\b",
    "steps": r"(?m)^\s*(?:1\.|2\.)\s|\bsteps?\b|\bstages?\b|\bphases?\b|\bfirst\b.*\bthen\b|\u2192|->|\\rightarrow",
    "limits": r"\btrade-?offs?\b|\bcons\b|\bconstraint\b|\bbottleneck\b|\bchallenges?\b|\bfailure\b|\blimit"
              r"|\bdegradation\b|\bprone\b|\bbias\b|\bburden\b|\bhardest\b",
    "duration": r"\d+\s*(?:ms|s|sec|seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b|\bovernight\b",
    "amount": r"\d",
}
_QUESTION = {ask: re.compile(p) for ask, p in QUESTION_ASKS.items()}
_ANSWER = {ask: re.compile(p, re.I) for ask, p in ANSWER_CUES.items()}


def asks_of(question: str) -> set[str]:
    """The asks a question makes of its topic, beyond naming it.

    >>> sorted(asks_of("How long should a canary release run before the full rollout?"))
    ['duration']
    >>> sorted(asks_of("What are Word Embeddings, and why are they crucial for modern NLP?"))
    ['why']
    >>> asks_of("What is canary deployment?")
    set()
    """
    text = question.lower()
    return {ask for ask, pattern in _QUESTION.items() if pattern.search(text)}


def asks_met(title: str, answer: str) -> set[str]:
    """The asks a guide question meets: those its heading makes, and those its answer's
    wording shows.

    >>> sorted(asks_met("What is the attention mechanism and why is it important?", "Attention focuses."))
    ['why']
    >>> sorted(asks_met("What is canary deployment?", "Release to 5% of users first."))
    ['amount']
    """
    return asks_of(title) | {ask for ask, pattern in _ANSWER.items() if pattern.search(answer)}


_CLAUSE_END = re.compile(r"[?.!;]+|,?\s+and\s+(?=(?:what|how|why|when|which|where)\b)|,\s+(?=(?:what|how|why|when|which)\b)", re.I)


def ask_clause(question: str, ask: str) -> str:
    """The learner's own words for an ask: the clause that makes it, to name what is missing.

    >>> ask_clause("What are Word Embeddings, and why are they crucial for modern NLP?", "why")
    'why are they crucial for modern NLP'
    >>> ask_clause("What are the limitations of using AI judges?", "limits")
    'What are the limitations of using AI judges'
    """
    match = _QUESTION[ask].search(question.lower())
    if not match:
        return ""
    start = 0
    for end in _CLAUSE_END.finditer(question):
        if end.start() >= match.start():
            return question[start : end.start()].strip()
        start = end.end()
    return question[start:].strip()


_DEFINITION = re.compile(
    r"^\s*(?:what(?:'s| is| are)|explain|define|describe)\s+(?:the |a |an )?(?:concept of |term )?(?!some\b)[\"']?"
    r"([^?,.;\"']+?)[\"']?\s*(?:\?|$|,|\.|\band\b|\bin\b)",
    re.I,
)


def defined_term(question: str) -> str:
    """What a "what is X?" question asks to define, or "" for any other question.

    >>> defined_term('What is "Red Teaming" in the context of LLMs?'), defined_term("How does LoRA work?")
    ('Red Teaming', '')
    """
    match = _DEFINITION.match(question)
    return match.group(1).strip() if match else ""


_NOT_A_TERM = re.compile(r"(?:the )?(?:differences?|main|key|common|different|types?|best|your|how)\b", re.I)


def heading_term(title: str) -> str:
    """The term a heading defines, or the whole heading when it defines none.

    >>> heading_term("Explain the concept of embeddings in NLP."), heading_term("How do you chunk documents?")
    ('embeddings', 'How do you chunk documents?')
    """
    term = defined_term(title)
    return term if term and len(term.split()) <= 5 and not _NOT_A_TERM.match(term) else title
