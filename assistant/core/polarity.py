"""An action the source does that a sentence says is not done, or one it forbids that a
sentence says is done: "it doesn't backtrack" where tree-of-thoughts "backtracks if
necessary"; "you overwrite the production model file" where the guide says "Never
overwrite a production model file".

Only a verbal negation counts ("not", "n't", "never", "no", "cannot"), and only on the word
right after it (an auxiliary or adverb between is skipped: "does not really need"); "not
just", "not only" add to a statement rather than deny it. The word must say something
particular: one the question's title does not use, stated by the source in one polarity
only; and the sentence must share another word with the source's line, so a sentence
about something else ("discriminative models don't create anything" beside "Generative
AI: Creates new content") is not measured against it. What a verb that denies by meaning
reaches ("avoid verbose rambling", "without caching") is judged in neither polarity.
"""

from __future__ import annotations

import re

from assistant.core.text import STOPWORDS, akin, content_terms, stem

_DENY = frozenset("not no never cannot cant dont doesnt didnt isnt arent wasnt werent wont shouldnt nor nobody nothing".split())
# Verbs that deny by meaning, with a reach no word count can fix ("avoid constantly reading
# and writing the slow HBM"): what follows them in the clause is judged in neither polarity.
_UNSURE = frozenset(stem(w) for w in "avoid avoids avoiding avoided prevent prevents preventing prevented without stop"
                    " stops stopping limit limits limiting reduce reduces reducing minimize minimizes".split())
# After a negation these add to a statement ("not just retrieval") or soften it: no denial.
_ADDING = frozenset("just only merely simply necessarily always all every".split())
# Words a negation passes over on its way to what it denies ("does not really need"). A
# noun after "have the" is not what is denied ("doesn't have the capacity" where the guide
# limits capacity): only the word the negation bears on directly counts.
_BETWEEN = frozenset("be been being do does did to really actually even ever".split())
_WORD = re.compile(r"[a-z][a-z0-9-]*")
_CLAUSE = re.compile(r"[.;:!?,()]|\b(?:but|while|whereas|so|because|and then)\b")


def marked_terms(text: str) -> list[tuple[str, bool | None]]:
    """Each content term of the text with whether a negation denies it (None: a verb that
    denies by meaning reaches it, or may).

    >>> marked_terms("It doesn't backtrack, once it picks a branch")
    [('backtrack', True), ('once', False), ('pick', False), ('branch', False)]
    >>> marked_terms("it isn't exposed to the public internet")
    [('expos', True), ('public', None), ('internet', None)]
    >>> marked_terms("Never overwrite a production model file")
    [('overwrit', True), ('production', None), ('model', None), ('file', None)]
    >>> marked_terms("not just retrieval; avoid slow HBM access")
    [('retrieval', None), ('avoid', False), ('slow', None), ('hbm', None), ('acces', None)]
    """
    out: list[tuple[str, bool | None]] = []
    for clause in _CLAUSE.split(text.lower().replace("n't", "nt").replace("'", "")):
        words = _WORD.findall(clause or "")
        # Beyond the word it bears on, a negation's reach is unknown ("it isn't exposed to the
        # public internet" asserts nothing public): the rest of its clause is in no polarity.
        pending, unsure = False, any(w in _DENY for w in words)
        for word in words:
            if word in _DENY:
                pending = True
            elif pending and word in _ADDING:
                pending = False
            elif pending and word in _BETWEEN:
                continue
            elif word not in STOPWORDS:
                out.append((stem(word), True if pending else None if unsure else False))
                unsure = unsure or stem(word) in _UNSURE
                pending = False
            else:
                pending = False
    return out


def flipped(sentence: str, lines: list[str], title: str) -> tuple[str, str] | None:
    """(term, source line) when the sentence states in one polarity what the source states
    only in the other; None otherwise.

    >>> flipped("It doesn't backtrack once it picks a branch.", ["explores branches, evaluates them, and backtracks if necessary."], "What is tree-of-thoughts prompting?")
    ('backtrack', 'explores branches, evaluates them, and backtracks if necessary.')
    >>> flipped("so the model doesn't ramble", ["Ask for JSON to avoid verbose rambling."], "prompt cost") is None
    True
    >>> flipped("You overwrite the production model file.", ["Never overwrite a production model file."], "model versioning")
    ('overwrit', 'Never overwrite a production model file.')
    >>> flipped("It backtracks when a branch fails.", ["evaluates them, and backtracks if necessary."], "tree-of-thoughts") is None
    True
    """
    topic = set(content_terms(title))
    marked = [(line, marked_terms(line)) for line in lines]
    said = marked_terms(sentence)
    said_terms = {t for t, _ in said}
    for term, denied in said:
        if len(term) < 4 or term.isdigit() or akin(term, topic):
            continue
        holding = [(line, m) for line, m in marked if any(t == term for t, _ in m)]
        polarities = {neg for _, m in holding for t, neg in m if t == term}
        if denied is None or len(polarities) != 1 or denied in polarities or None in polarities:
            continue
        for line, m in holding:
            others = {t for t, _ in m} - {term}
            if any(akin(t, others) for t in said_terms - {term} if t not in topic):
                return term, line
    return None
