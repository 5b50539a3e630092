"""What a turn says about the conversation: the questions it names, whether it leans on
the turns before ("and which one uses less VRAM?")."""

from __future__ import annotations

import re

from assistant.core.text import content_terms, tokens

_NAMED = re.compile(r"(?:\bq(?:uestion)?\s*#?\s*|#)(\d{1,3})\b", re.I)
# Words that make a turn lean on the one before: "how does it compare", "and that one?"
_CONNECTIVES = frozenset("and also so then but".split())
_ANAPHORA = frozenset("it its this that these those they them the former latter one ones same above previous".split())


def named_questions(query: str) -> list[int]:
    """Question numbers a query names explicitly.

    >>> named_questions("what does Q38 say vs question 37?")
    [38, 37]
    """
    return [int(n) for n in _NAMED.findall(query)]


def looks_like_followup(query: str) -> bool:
    """True when a turn needs the conversation to be understood.

    >>> looks_like_followup("and which one uses less VRAM?"), looks_like_followup("what is LoRA?")
    (True, False)
    >>> looks_like_followup("what about MQA?"), looks_like_followup("why?")
    (True, True)
    """
    words = tokens(query)
    if not words:
        return False
    opener = " ".join(words[:2])
    if any(w in _ANAPHORA for w in words) or words[0] in _CONNECTIVES or opener in ("what about", "how about"):
        return True
    return not content_terms(query)  # "why?", "give an example"
