"""What the command line shows of long work: progress bars for refresh stages and a line while the
embedding model loads. On a terminal only; piped or redirected output gets the summary alone."""

from __future__ import annotations

import contextlib
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

LABELS = {"read": "reading {detail} (files)", "embed": "embedding {detail} (chunks)", "write": "writing {detail}"}
# fewer steps than this finish too fast for a bar to help
MIN_STEPS = {"read": 50, "embed": 64, "write": 1}


class RateColumn(ProgressColumn):
    """Steps per second (chunks/s while embedding)."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")


class RichProgress:
    """A progress sink (hybridq.refresh.progress) that draws one bar per refresh stage."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True)

    def start(self, stage: str, total: int, detail: str = ""):
        if not self.console.is_terminal or total < MIN_STEPS.get(stage, 1):
            return lambda n: None
        label = LABELS.get(stage, stage + " {detail}").format(detail=_short(detail)).replace("  ", " ")
        self.progress.start()
        task = self.progress.add_task(label, total=total)
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            self.progress.advance(task, n)
            if done >= total:
                self.progress.refresh()
                self.progress.remove_task(task)
                if not self.progress.tasks:
                    self.progress.stop()

        return advance


@contextlib.contextmanager
def model_loading(console: Console, model: str):
    """A line while the model loads (a spinner on a terminal), and how long it took."""
    t0 = time.perf_counter()
    if console.is_terminal:
        with console.status(f"loading the embedding model {model}...", spinner="dots"):
            yield
    else:
        console.print(f"loading the embedding model {model}...", style="dim")
        yield
    console.print(f"loaded the embedding model {model} in {time.perf_counter() - t0:.1f} s", style="dim")


def _short(detail: str, width: int = 40) -> str:
    return detail if len(detail) <= width else detail[: width - 3] + "..."
