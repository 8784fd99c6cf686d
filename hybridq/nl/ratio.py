"""Ratios of two counts: 'the ratio of open businesses to closed businesses in San Francisco'.

Each side is a question of its own ('how many open businesses in San Francisco'), read by the same
machinery as any question, and the ratio divides the two answers. Words after the second side that
say where or when ('in San Francisco', 'overall', 'in 2020') hold for both sides. A side that is not
a single number (grouped, listed) makes the question refused rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "ratio of A to B", "proportion of A out of (all) B", "percentage of A among B"
CUE = re.compile(r"\b(?:the\s+)?(ratio|proportion|percentage|percent|share|fraction)\s+of\s+", re.I)
SPLIT = re.compile(r"\s+(?:to|out\s+of|versus|vs\.?|compared\s+to|against|among)\s+", re.I)
# Where the second side ends and the words for both sides begin.
SHARED = re.compile(r"\s+(?:(?:in|within|for|during|at)\s+(?:the\s+(?:city|state|region|county|year|country)\s+of\s+)?"
                    r"(?=[A-Z0-9\"'])|overall\b|in\s+total\b|in\s+the\s+database\b|altogether\b)")


@dataclass(frozen=True)
class RatioQuestion:
    kind: str  # ratio | percentage
    cue: tuple[int, int]  # character spans in the question
    first: tuple[int, int]
    second: tuple[int, int]
    shared: tuple[int, int] | None

    def sides(self, question: str) -> tuple[str, str]:
        tail = f" {question[self.shared[0]:self.shared[1]].strip()}" if self.shared else ""
        first = question[self.first[0]:self.first[1]].strip()
        second = question[self.second[0]:self.second[1]].strip()
        second = re.sub(r"^(?:all|every|total)\s+(?:the\s+)?", "", second, flags=re.I)  # "out of all restaurants"
        return f"how many {first}{tail}", f"how many {second}{tail}"


# "what share of active subscriptions are billed annually": the share of a group having a property
SHARE = re.compile(r"^\s*(?:what|which)\s+(?:is\s+the\s+|was\s+the\s+)?(%|percent|percentage|share|proportion|fraction)"
                   r"\s+of\s+", re.I)
PROPERTY = re.compile(r"\s+(?:are|is|were|was|that|which|who|have|has|had|come|comes|came|with|without|get|gets|got|"
                      r"do|does|did)\b", re.I)


def ratio_question(question: str) -> RatioQuestion | None:
    """The parts of a ratio question, or None when the question is not one."""
    text = question.rstrip(" ?.!")
    share = SHARE.search(text)
    if share is not None:
        head = PROPERTY.search(text, share.end())
        if head is None:
            return None
        kind = "ratio" if share.group(1).lower() in ("share", "proportion", "fraction") else "percentage"
        return RatioQuestion(kind, (0, share.end()), (share.end(), len(text)), (share.end(), head.start()), None)
    cue = CUE.search(text)
    if cue is None or text[:cue.start()].strip().lower() not in ("", "what is", "what's", "what was", "calculate",
                                                                 "compute", "give me", "show", "find", "return"):
        return None
    split = SPLIT.search(text, cue.end())
    if split is None:
        return None
    kind = "percentage" if cue.group(1).lower() in ("percentage", "percent") else "ratio"
    second_start = split.end()
    shared = SHARED.search(text, second_start)
    if shared and re.search(r"\b" + re.escape(shared.group(0).strip()) + r"\b", text[cue.end():split.start()], re.I):
        shared = None  # "businesses in the state of California to businesses in the state of New York"
    second_end = shared.start() if shared else len(text)
    if second_end <= second_start or split.start() <= cue.end():
        return None
    return RatioQuestion(kind, (0, cue.end()), (cue.end(), split.start()), (second_start, second_end),
                         (shared.start(), len(text)) if shared else None)
