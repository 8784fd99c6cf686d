"""Front matter: the YAML block at the top of a document, whose values become columns.

Read by the documents source (refresh) and by `hybridq init`, which infers those columns.
"""

from __future__ import annotations

import re

import yaml

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
MAX_DEPTH = 32  # nesting of front matter values


class FrontMatterError(ValueError):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML for one row's values: an alias (*name) is refused, so that a few hundred bytes of
    anchors cannot expand to gigabytes once the values are written out; nesting is bounded."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise FrontMatterError(f"the YAML alias *{event.anchor} is not allowed in front matter; write the value out",
                                   event.start_mark.line)
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_DEPTH:
            raise FrontMatterError(f"front matter is nested more than {MAX_DEPTH} levels deep",
                                   self.peek_event().start_mark.line)
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth


def load_front_matter(text: str):
    """The values of a front matter block; FrontMatterError (with the line inside the block) or
    yaml.YAMLError when it cannot be read."""
    try:
        return yaml.load(text, Loader=_FrontMatterLoader)  # noqa: S506 (a SafeLoader without aliases)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, FrontMatterError):
            raise
        raise FrontMatterError(f"a value cannot be read: {exc}") from None
