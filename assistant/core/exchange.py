"""Two opposite actions with their objects exchanged: "freeze the adapters and retrain the
main weights" where the guide says "Freeze main weights, train only adapters". Every word
is the guide's, and each opposite word is used by the guide too, so neither the opposite
check (a word the source never uses) nor the subject check (a bold lead's attributes)
sees it; what differs is what each of the two words acts on.

A word's objects are the content words right after it in its clause. The sentence
exchanges them when the source gives those objects to the word's opposite and never to the
word itself.
"""

from __future__ import annotations

import re

from assistant.core.glossary import OPPOSITES
from assistant.core.text import content_terms, stem

# Actions that are opposites only when one line does both ("Freeze main weights, train only
# adapters"): as plain opposites, "keep the weights frozen" would deny any line that trains.
ACTIONS = (("freeze freezes frozen", "train trains trained retrain retrains update updates"),)
# Each opposite word (stemmed) and the stems of its other side.
_OTHER: dict[str, frozenset[str]] = {}
for _left, _right in (*OPPOSITES, *ACTIONS):
    for _mine, _theirs in ((_left, _right), (_right, _left)):
        for _w in _mine.split():
            _OTHER[stem(_w)] = _OTHER.get(stem(_w), frozenset()) | frozenset(stem(t) for t in _theirs.split())
_CLAUSE = re.compile(r"[.;:!?,()]|\b(?:and|but|while|whereas|so|because|then)\b", re.I)
REACH = 3  # content words after an action that say what it acts on


def objects(text: str) -> dict[str, set[str]]:
    """Each opposite word of the text and the content words it acts on, clause by clause.

    >>> sorted((word, sorted(acted_on)) for word, acted_on in objects("Freeze main weights, train only adapters.").items())
    [('freez', ['main', 'weight']), ('train', ['adapter'])]
    """
    out: dict[str, set[str]] = {}
    for clause in _CLAUSE.split(text):
        terms = content_terms(clause)
        for i, term in enumerate(terms):
            if term in _OTHER:
                out.setdefault(term, set()).update(t for t in terms[i + 1 : i + 1 + REACH] if t not in _OTHER)
    return out


def exchanged(sentence: str, lines: list[str]) -> tuple[str, str] | None:
    """(the sentence's word, the source line) where the sentence gives the word what the line
    gives only its opposite.

    >>> exchanged("You freeze the adapter matrices and retrain the main weights.", ["Freeze main weights, train only adapters."])
    ('freez', 'Freeze main weights, train only adapters.')
    >>> exchanged("Freeze the main weights and train the small adapters.", ["Freeze main weights, train only adapters."])
    """
    said = objects(sentence)
    for line in lines:
        theirs = objects(line)
        for word, acted_on in said.items():
            opposite = set().union(*(theirs[o] for o in _OTHER[word] if o in theirs))
            if acted_on & opposite and not acted_on & theirs.get(word, set()) and word in theirs:
                return word, line
    return None
