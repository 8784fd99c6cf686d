"""Choice points: a question's readings, enumerated instead of guessed.

The parser is written as if it knew the answer to every open decision (which of two columns a
word names, which date a time window applies to, whether one row or several are asked for). At
each such decision it calls `choose()` with every admissible option and the evidence for each.
A run follows one path through those decisions; `enumerate_paths` replays the parser with every
other path whose evidence is close enough to the best, so each reading of the question is built
by the same code, and none is dropped because it came second in a fixed order.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Callable, Generic, Sequence, TypeVar

T = TypeVar("T")

# An option whose evidence is this much weaker than the best one's is not a reading worth asking
# about: an exact name against a typo, a column of the table asked about against one three joins away.
PRUNE = 0.5


@dataclass(frozen=True)
class Option(Generic[T]):
    value: T
    score: float  # evidence for this option; higher is better
    label: str  # in words, for clarifications ("customers.state", "the signup date")
    # a reading that takes this option and cannot be answered leaves the question unanswered: the
    # other options are not more likely for it ('open' as a verb we cannot compose is still the verb)
    vetoes: bool = False


@dataclass
class Decision:
    key: str  # what was decided ("column for 'state'")
    options: list[Option]
    index: int
    moot: bool = False  # the reading ended up not using what was decided (words read as a phrase instead)

    @property
    def penalty(self) -> float:
        return self.options[0].score - self.options[self.index].score

    @property
    def chosen(self) -> Option:
        return self.options[self.index]


@dataclass
class Choices:
    """The decisions of one run: replayed from `prefix`, then the best option of each."""

    prefix: Sequence[int] = ()
    made: list[Decision] = field(default_factory=list)

    def choose(self, key: str, options: Sequence[Option[T]]) -> T:
        """The option this run takes among `options` (several with the same value count once)."""
        ranked = _distinct(sorted(options, key=lambda o: -o.score))
        if not ranked:
            raise ValueError(f"no option for {key}")
        best = ranked[0].score
        ranked = [o for o in ranked if best - o.score <= PRUNE]
        depth = len(self.made)
        index = self.prefix[depth] if depth < len(self.prefix) else 0
        index = min(index, len(ranked) - 1)
        self.made.append(Decision(key, ranked, index))
        return ranked[index].value

    @property
    def penalty(self) -> float:
        return sum(d.penalty for d in self.made)

    def path(self) -> list[int]:
        return [d.index for d in self.made]


def _distinct(options: list[Option]) -> list[Option]:
    seen, out = [], []
    for o in options:
        if any(o.value == s for s in seen):
            continue
        seen.append(o.value)
        out.append(o)
    return out


def enumerate_paths(run: Callable[[Choices], T], *, limit: int = 64, max_penalty: float = 1.0,
                    enough: Callable[[float], bool] = lambda penalty: False) -> list[tuple[Choices, T]]:
    """Runs of `run` over the tree of its decisions, the paths with the strongest evidence first,
    skipping those whose options are together more than `max_penalty` weaker than the best ones;
    at most `limit` runs. Paths come in order of penalty, so once `enough(penalty)` holds for the
    next one, no later path is wanted either."""
    out: list[tuple[Choices, T]] = []
    queue: list[tuple[float, int, list[int]]] = [(0.0, 0, [])]
    counter = 1
    while queue and len(out) < limit:
        if enough(queue[0][0]):
            break
        _, _, prefix = heapq.heappop(queue)
        choices = Choices(prefix)
        result = run(choices)
        out.append((choices, result))
        made = choices.made
        for depth in range(len(prefix), len(made)):
            before = sum(d.penalty for d in made[:depth])
            decision = made[depth]
            for alt in range(1, len(decision.options)):
                total = before + decision.options[0].score - decision.options[alt].score
                if total <= max_penalty + 1e-9:
                    heapq.heappush(queue, (total, counter, [d.index for d in made[:depth]] + [alt]))
                    counter += 1
    return out
