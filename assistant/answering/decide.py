"""What the guide says to a question, decided in code before anything is written: which
questions it retrieves, whether the guide covers it (scope), the guide's own lines for it
(the grounded composition) and whether those lines answer what was asked (coverage).

The chat answers from a `Decision`; study mode resolves a topic ("explain top-p") with the
same one, so the two never disagree about what the guide covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answering.coverage import Coverage, CoverageJudge, CoverageVerdict
from assistant.answering.grounded import Composer, Composition
from assistant.answering.scope import ScopeGate, Verdict
from assistant.core.errors import StudyError
from assistant.core.sanitize import sanitize_markdown
from assistant.core.types import Hit
from assistant.retrieval.query import GuideQuery


@dataclass(frozen=True)
class Decision:
    query: GuideQuery
    hits: list[Hit]
    scope: Verdict
    grounded: Composition
    cover: CoverageVerdict

    @property
    def refused(self) -> bool:
        return self.cover.coverage is Coverage.NOT_COVERED


class Decider:
    """Built once per retriever and scope gate; `decide` runs per question."""

    def __init__(self, scope: ScopeGate, top_k: int = 5):
        self.scope = scope
        self.retriever = scope.retriever
        self.top_k = top_k
        self.composer = Composer.of(self.retriever.index)
        self.coverage = CoverageJudge(scope, self.composer.unknown_names)

    def decide(self, question: str, history: Sequence[str] = (), section: str | None = None) -> Decision:
        # Markup and URLs say nothing about the topic; retrieval and scope see the words only.
        query = self.retriever.read(sanitize_markdown(question).strip() or question, list(history), section)
        hits = self.retriever.search(query, self.top_k)
        verdict = self.scope.judge(query, hits)
        # The composer judges runner-ups itself (by what the query names), so it sees them all.
        grounded = self.composer.compose(query, hits)
        return Decision(query, hits, verdict, grounded, self.coverage.judge(query, grounded.sources, verdict))

    def topic(self, topic: str) -> int:
        """The question a topic names ("GQA vs MQA" -> 38), as the chat would answer it; a
        topic the chat refuses raises StudyError naming the nearest questions."""
        decision = self.decide(topic)
        if decision.refused:
            nearest = "; ".join(f"Q{h.chunk.number} {h.chunk.title}" for h in decision.scope.nearest[:3])
            raise StudyError(f"the guide does not cover {topic.strip()!r}",
                             f"pick a question it does cover by number (nearest: {nearest})")
        cited = decision.grounded.citations or [decision.hits[0].chunk.number]
        return cited[0]
