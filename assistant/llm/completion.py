"""The prompt format for base models, which have no chat template (Gemma 3 270M): the
chat messages become one document that ends where the answer should begin. The backend
that drives such a model owns its format; answering only budgets tokens for the worked
example and treats any copy of it as a leak."""

from __future__ import annotations

from assistant.core.types import Message

# Base models (no chat template) continue documents rather than follow instructions, so
# their prompt shows one worked example of the format: short answer, [Qn] after each
# sentence. The example is generic on purpose; its citation is dropped by the checks
# unless that question was really retrieved.
COMPLETION_EXAMPLE = (
    '<source id="Q5" title="What is a token in the context of LLMs?">\n'
    "A token is the basic unit of text an LLM processes: a word, part of a word or a character.\n"
    "</source>\n\n"
    "Question: what is a token?\n"
    "Answer: A token is the basic unit of text an LLM reads, such as a word or part of a word [Q5].\n\n"
)


def as_completion(messages: list[Message]) -> str:
    """Chat messages as one completion prompt, for base models without a chat template.

    >>> as_completion([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Question: hi"}])[-20:]
    'Question: hi\\nAnswer:'
    """
    system, rest = messages[0]["content"], messages[1:]
    parts = [system, "Example:\n" + COMPLETION_EXAMPLE + "Now the real sources and question."]
    for m in rest:
        parts.append(f"Answer: {m['content']}" if m["role"] == "assistant" else m["content"])
    return "\n\n".join(parts) + "\nAnswer:"
