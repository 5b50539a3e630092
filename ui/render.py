"""Pure helpers that turn answers into Streamlit Markdown. No Streamlit import here.

Everything the model or the guide wrote passes through `sanitize_markdown` first, and
nothing is ever rendered with `unsafe_allow_html`.
"""

from __future__ import annotations

import re

from assistant.core.citations import CITATION
from assistant.core.sanitize import sanitize_markdown
from assistant.core.wording import BADGES

# "> [!TIP]" on a line of its own, and the quote marker of the line after it.
_CALLOUT = re.compile(r"^([ \t]*>[ \t]?)\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*(?:\n[ \t]*>[ \t]?|$)", re.I | re.M)


def answer_markdown(text: str) -> str:
    """Sanitised answer with each citation shown as a badge.

    >>> answer_markdown("GQA groups heads [Q38, Q37]. <img src=x onerror=alert(1)>")
    'GQA groups heads :blue-badge[Q38] :blue-badge[Q37]. '
    """
    safe = sanitize_markdown(text)
    # Streamlit reads ":name[...]" as a directive; a stray one in the text would be one too.
    safe = re.sub(r":(?=[a-z-]+\[)", ":\u200b", safe)
    return CITATION.sub(lambda m: " ".join(f":blue-badge[{q.strip()}]" for q in m.group(0)[1:-1].split(",")), safe)


def coverage_badge(coverage: str, refused: bool = False) -> str:
    """The badge over an answer that the guide does not fully answer ("" when it does).

    >>> coverage_badge("partial"), coverage_badge("not_covered", refused=True), coverage_badge("answered")
    (':orange-badge[Partly covered]', ':red-badge[Not in the guide]', '')
    """
    return BADGES["not_covered"] if refused else BADGES.get(coverage, "")


def card_label(number: int, title: str, section: str) -> str:
    """The one-line label of a source card.

    >>> card_label(38, "What is GQA?", "Transformer Architecture")
    'Q38 · What is GQA? — Transformer Architecture'
    """
    return f"Q{number} · {sanitize_markdown(title)} — {sanitize_markdown(section)}"


def guide_text_markdown(text: str) -> str:
    """The guide's own answer text without its "Q38. <title>" heading (the card label
    already says it), made safe the same way: the guide is untrusted input too. GitHub's
    "> [!NOTE]" callout markers, which Streamlit shows raw, become a bold "Note:".

    >>> guide_text_markdown("Q38. Explain GQA.\\n\\n- **MQA**: one K/V head.")
    '- **MQA**: one K/V head.'
    >>> guide_text_markdown("Q11. T\\n\\n- Low: focused.\\n> [!NOTE]\\n> Greedy at T=0.")
    '- Low: focused.\\n> **Note:** Greedy at T=0.'
    """
    text = _CALLOUT.sub(lambda m: f"{m.group(1)}**{m.group(2).title()}:** ", text.lstrip())
    return sanitize_markdown(re.sub(r"^Q\d+\.[^\n]*\n+", "", text))


def error_markdown(text: str, keep: tuple[str, ...] = ()) -> str:
    """A backend's or server's error, made safe like model output: a hostile server's
    message can carry images, links or HTML too. The operator's own addresses in `keep`
    (the configured hosts) survive, as code, so the message still names what to fix.

    >>> error_markdown("Ollama at http://127.0.0.1:11434 failed: ![x](http://evil.example/b.png)",
    ...                keep=("http://127.0.0.1:11434",))
    'Ollama at `http://127.0.0.1:11434` failed: x'
    """
    slots = {f"KEPTADDRESS{i}X": address for i, address in enumerate(a for a in keep if a)}
    for slot, address in slots.items():
        text = text.replace(address, slot)
    safe = re.sub(r":(?=[a-z-]+\[)", ":\u200b", sanitize_markdown(text))
    for slot, address in slots.items():
        safe = safe.replace(slot, f"`{address.replace('`', '')}`")
    return safe


def input_notes(typed: str) -> list[str]:
    """One line for each thing in a question that will not be used as typed.

    >>> input_notes("what is GQA?")
    []
    >>> input_notes("what is\\x1b[31m GQA? ![x](http://e.example/a.png) <b>now</b>")
    ['Removed invisible control characters from your question.', 'Your question contains HTML, a link or an image: it is shown as plain text and only its words are searched.']
    """
    from assistant.core.sanitize import strip_control

    notes = []
    cleaned = strip_control(typed)
    if cleaned != typed:
        notes.append("Removed invisible control characters from your question.")
    if sanitize_markdown(cleaned).replace("\\[", "[") != cleaned:
        notes.append("Your question contains HTML, a link or an image: it is shown as plain text and only "
                     "its words are searched.")
    return notes


def busy_text(ahead: int) -> str:
    """What a learner waiting for the shared model sees.

    >>> busy_text(2)
    'Model busy, 2 ahead of you: your answer starts when they finish.'
    """
    return f"Model busy, {ahead} ahead of you: your answer starts when {'it finishes' if ahead == 1 else 'they finish'}."
