"""What a turn says about the conversation: does it lean on the turns before ("and which one
uses less VRAM?"), and which of the guide's questions does it name ("Q38")?

Both are decided once per turn, by `assistant.retrieval.query.QueryReader`, and passed down.
"""

from __future__ import annotations

import re

from assistant.core.text import ASPECT_WORDS, STOPWORDS, stem, tokens

_NAMED = re.compile(r"(?:\bq(?:uestion)?\s*#?\s*|#)(\d{1,3})\b", re.I)
# A turn that opens with these continues the one before: "and QLoRA?", "what about MQA?"
_CONNECTIVES = frozenset("and also so then but or plus".split())
# Openers that carry nothing: "ok and how do I measure them?" is "and how do I measure them?"
_FILLERS = frozenset("ok okay alright right well hmm cool great thanks thank nice got it sure yes yeah no".split())
_OPENERS = ("what about", "how about", "what of", "same for", "tell me more", "more on", "go on", "what else")
# Words that point back at an earlier turn ("how does it compare?"). A pronoun after a topic
# of the turn's own, in a later clause, points inside the turn ("What are LLMs and how do
# they work?"), and "that" right after a topic word opens a relative clause ("a model that").
_PRONOUNS = frozenset("it its it's they them their theirs this these those former latter both".split())
_POINTER_PHRASES = (
    "which one", "that one", "this one", "the other", "the same", "the first", "the second", "the two",
    "the last one", "the previous", "the above", "the whole thing", "you mentioned", "you said", "your answer",
)
_DETERMINERS = frozenset("the that this these those which".split())
_WHOLE_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_CLAUSE = re.compile(r"\s*(?:[,;?!]+|\band\b|\bor\b|\bbut\b)\s*", re.I)


def named_questions(query: str) -> list[int]:
    """Question numbers written the way the guide numbers them, whatever they refer to
    (`QueryReader` decides whether they refer to the guide).

    >>> named_questions("what does Q38 say vs question 37?")
    [38, 37]
    """
    return [int(n) for n in _NAMED.findall(query)]


def without_numbers(query: str) -> str:
    """The query with its question numbers taken out.

    >>> without_numbers("what were Apple's Q3 earnings?")
    "what were Apple's  earnings?"
    """
    return _NAMED.sub("", query)


def topic_words(query: str) -> list[str]:
    """The words that name what a turn is about: not function words, not question
    boilerplate, not the generic asks ("cheaper", "better", "pros").

    >>> topic_words("and which one is cheaper?"), topic_words("how does it compare to MQA?")
    ([], ['mqa'])
    """
    return [w for w in tokens(query)
            if w not in STOPWORDS and w not in _FILLERS and stem(w) not in ASPECT_WORDS and not w.isdigit()]


def leans_on_conversation(query: str) -> bool:
    """True when a turn cannot be understood without the turns before it: it opens by
    continuing them ("and QLoRA?", "what about MQA?"), names no topic of its own ("why?",
    "which is cheaper?"), or points back before naming one ("how does it compare to MQA?",
    "what happens if I set it to zero?", "how would I build one?"). A question with a topic
    of its own is standalone, whatever articles it uses ("what is the capital of australia").

    >>> [leans_on_conversation(q) for q in ("and QLoRA?", "which one uses less VRAM?", "why?", "can I combine the two?")]
    [True, True, True, True]
    >>> [leans_on_conversation(q) for q in ("what is the capital of australia", "What are LLMs and how do they work?")]
    [False, False]
    >>> leans_on_conversation("what's the privacy one about?"), leans_on_conversation("zero-shot vs one-shot prompting")
    (True, False)
    >>> leans_on_conversation("ok and how do I measure them?")
    True
    """
    if not _after_fillers(query):
        return False
    if continues(query):
        return True
    topics = set(topic_words(query))
    if not topics:
        return True
    seen_topic = False  # in an earlier clause of this turn
    for clause in _CLAUSE.split(query):
        clause_words = _WHOLE_WORD.findall(clause.lower())  # "one-shot" stays one word
        if not seen_topic and _points_back(clause_words, topics):
            return True
        seen_topic = seen_topic or any(w in topics for w in clause_words)
    return False


def _after_fillers(query: str) -> list[str]:
    words = tokens(query)
    while words and words[0] in _FILLERS:
        words = words[1:]
    return words


def continues(query: str) -> bool:
    """Whether a turn opens by continuing the one before ("and QLoRA?", "ok what about MQA?").

    >>> continues("and what about mixed precision training?"), continues("how can it be stretched?")
    (True, False)
    """
    words = _after_fillers(query)
    return bool(words) and (words[0] in _CONNECTIVES or " ".join(words).startswith(_OPENERS))


def _points_back(words: list[str], topics: set[str]) -> bool:
    """Does a clause with no antecedent before it point at something outside the turn?"""
    for i, w in enumerate(words):
        if " ".join(words[i : i + 3]).startswith(_POINTER_PHRASES):
            return True
        if w in _PRONOUNS and not (w in ("this", "these", "those") and i and words[i - 1] in topics):
            return True
        if w == "that" and not (i and words[i - 1] in topics):
            return True  # "is that true?", "about that"; not "a model that learns"
        if w in ("one", "ones") and i and (i == len(words) - 1 or _DETERMINERS & set(words[max(0, i - 3):i])):
            return True  # "how would I build one?", "what's the privacy one about?"
    return False
