"""Learners describe symptoms; guides name concepts. Map the one to the other.

"my bot makes up citations" is a question about hallucination; "we keep paying for the
same prompts" is about caching. A 22M-parameter embedding model misses many of these, so a
query that describes a symptom gets the concept's name appended before retrieval. The
table is GenAI interview vocabulary in general, written once for any guide in the field,
not per question; a pattern only adds words, it never removes what the learner typed.
"""

from __future__ import annotations

import re

# (pattern over the lower-cased query, concept words to add)
SYMPTOMS: tuple[tuple[str, str], ...] = (
    (r"\bmak\w* (?:stuff|things|facts|it) up|\bma(?:ke|kes|king|de) up\b|\binvent\w*|\bfabricat\w*|confidently wrong|\bnot true\b|\bdon'?t exist", "hallucination"),
    (r"\bforg[eo]t\w*|\bremember\w*|earlier in the (?:chat|conversation)|\btoo long\b", "context window memory conversation history"),
    (r"\bcheap\w*|\bcost\w*|\bbill\w*|\bpay\w*|\bexpensive\b|\bspend\w*|\bbudget\w*", "cost"),
    (r"\bslow\w*|\bfast\w*|\bspeed\w*|\bsnapp\w*|\bquick\w*|\btakes forever\b|\blag\w*", "latency inference optimization"),
    (r"\bsame (?:question|prompt|request|query)s?\b|\brepeat\w*|\bover and over\b|\bagain and again\b", "caching"),
    (r"\bunfair\w*|\bfavou?r\w*|\bdiscriminat\w*|\bstereotyp\w*|\bgender\w*|\bracis\w*|\bsexis\w*", "bias fairness"),
    (r"\btoxic\w*|\bharmful\b|\boffensive\b|\bhate\w*|\bprofan\w*|\bnsfw\b", "content moderation safety"),
    (r"\bleak\w*|\bcustomer (?:data|names)|\bphone numbers?\b|\bemails? addresses\b|\bsensitive data\b|\bconfidential\b|\bprivate data\b|\bgdpr\b|\bhipaa\b", "data privacy pii"),
    (r"\bjailbreak\w*|\btrick\w* (?:the|our|my) (?:model|bot)|\bignore (?:all|previous|your) instructions\b|\bmalicious (?:input|user|prompt)s?", "prompt injection adversarial attack"),
    (r"\broll ?out\w*|\bsmall (?:percentage|fraction|slice) of (?:users|traffic)|\b\d+ ?% of (?:users|traffic)|\broll ?back\b|\bgradual\w*", "canary deployment"),
    (r"\bwhich (?:one|version|prompt)s? (?:users|people) (?:like|prefer)|\bsplit (?:traffic|users)|\btwo (?:versions|variants|candidate)", "a/b testing"),
    (r"\bout ?of ?date\b|\boutdated\b|\bcurrent (?:events|info\w*|news)|\blatest (?:news|info\w*|data)|\bafter (?:its|the) training\b|\bknowledge cut ?off\b", "retrieval augmented generation rag knowledge"),
    (r"\brandom\w*|\bdifferent (?:answers?|repl\w*|outputs?) (?:every|each)|\bcreativ\w*|\bdeterministic\b|\bvaries\b", "temperature sampling"),
    (r"\bsmaller model\b|\bshrink\w*|\bcompress\w*|\bfit (?:on|in|into) (?:a|one|my|our)?\s?(?:gpu|laptop|phone|memory)|\bdoesn'?t fit\b|\bout of memory\b", "quantization distillation memory"),
    (r"\bword order\b|\border of (?:the )?words\b|\bwhich word comes first\b", "positional encoding"),
    (r"\bbook\b|\bnovel\b|\b\d+[- ]page\w*|\bhuge (?:document|file|pdf)s?|\blong (?:document|report|contract|pdf)s?", "long documents context window chunking"),
    (r"\bstep[- ]by[- ]step\b|\bshow (?:its|the) (?:work|reasoning)\b|\breason\w* (?:out loud|through)", "chain of thought reasoning"),
    (r"\bwrong (?:documents|passages|chunks)\b|\birrelevant (?:results|documents|passages|chunks)\b|\bcan'?t find\b|\bdoesn'?t find\b", "retrieval failure reranker"),
    (r"\bwhich (?:model|llm)\b|\bchoos\w* (?:a|the|between) (?:model|llm)s?\b|\bpick\w* (?:a|the) (?:model|llm)\b", "selecting llm"),
    (r"\bhuman (?:ratings|preferences|feedback|raters)\b|\bthumbs (?:up|down)\b|\bpreferred (?:answer|response)s?\b", "rlhf reward model"),
    (r"\bmonitor\w*|\bdashboards?\b|\bdrift\w*|\bin production\b.*\b(?:watch|track)\w*", "monitoring"),
    (r"\bdebug\w*|\bgarbage (?:answers|output)s?\b|\bcan'?t tell (?:why|whether)", "debugging"),
)

_COMPILED = tuple((re.compile(pattern), concept) for pattern, concept in SYMPTOMS)


def concepts_for(query: str) -> list[str]:
    """Concept names for the symptoms a query describes.

    >>> concepts_for("my chatbot confidently makes up citations that don't exist")
    ['hallucination']
    >>> concepts_for("why does my RAG bot make up citations"), concepts_for("it keeps making up sources")
    (['hallucination'], ['hallucination'])
    """
    text = query.lower()
    return [concept for pattern, concept in _COMPILED if pattern.search(text)]
