"""Pure helpers that turn answers into Streamlit Markdown. No Streamlit import here.

Everything the model or the guide wrote passes through `sanitize_markdown` first, and
nothing is ever rendered with `unsafe_allow_html`.
"""

from __future__ import annotations

import re

from assistant.sanitize import sanitize_markdown

_CITE = re.compile(r"\[((?:Q\d{1,3})(?:,\s*Q\d{1,3})*)\]")


def answer_markdown(text: str) -> str:
    """Sanitised answer with each citation shown as a badge.

    >>> answer_markdown("GQA groups heads [Q38, Q37]. <img src=x onerror=alert(1)>")
    'GQA groups heads :blue-badge[Q38] :blue-badge[Q37]. '
    """
    safe = sanitize_markdown(text)
    # Streamlit reads ":name[...]" as a directive; a stray one in the text would be one too.
    safe = re.sub(r":(?=[a-z-]+\[)", ":\u200b", safe)
    return _CITE.sub(lambda m: " ".join(f":blue-badge[{q.strip()}]" for q in m.group(1).split(",")), safe)


def card_label(number: int, title: str, section: str) -> str:
    """The one-line label of a source card.

    >>> card_label(38, "What is GQA?", "Transformer Architecture")
    'Q38 · What is GQA? — Transformer Architecture'
    """
    return f"Q{number} · {sanitize_markdown(title)} — {sanitize_markdown(section)}"


def guide_text_markdown(text: str) -> str:
    """The guide's own answer text without its "Q38. <title>" heading (the card label
    already says it), made safe the same way: the guide is untrusted input too.

    >>> guide_text_markdown("Q38. Explain GQA.\\n\\n- **MQA**: one K/V head.")
    '- **MQA**: one K/V head.'
    """
    return sanitize_markdown(re.sub(r"^Q\d+\.[^\n]*\n+", "", text.lstrip()))
