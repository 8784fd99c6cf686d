"""Read catalog YAML into plain data while keeping the line of every node."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hybridq.catalog.issues import Issue

PathKey = tuple  # ("tables", "customers", "columns", "name") or ("glossary", 3, "sql")


@dataclass
class Located:
    """Plain data from a YAML file, with the (line, column) of every value and key."""

    data: Any
    file: str
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """The line of the node at `path`, or of its nearest ancestor."""
        path = tuple(path)
        while True:
            if path in self.values:
                return self.values[path][0]
            if not path:
                return None
            path = path[:-1]


    def report_line(self, path: PathKey) -> int | None:
        """The line an issue about `path` points at.

        A mapping entry points at its key (`contracts:`, not the first line of its value), a list
        item at the item; a path that is not in the file points at its nearest ancestor.
        """
        path = tuple(path)
        while path and path not in self.values:
            path = path[:-1]
        if path in self.keys:
            return self.keys[path][0]
        return self.values[path][0] if path in self.values else None


def format_path(path: PathKey) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load_yaml(text: str, file: str) -> tuple[Located | None, list[Issue]]:
    """Parse YAML text; return the located data and the issues found while reading it."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        msg = f"YAML syntax error: {problem}" + (f" (column {col})" if col else "")
        hint = "check indentation and that every 'key: value' pair has a space after the colon"
        context, opened = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and opened and opened.line + 1 != line:
            # The parser notices an unclosed bracket or quote only later; say where it was opened.
            msg += f", {context} that starts on line {opened.line + 1}"
            if "flow" in context or "quoted" in context:
                hint = f"close the bracket or quote opened on line {opened.line + 1}"
        elif "'\\t'" in problem:
            hint = "indent with spaces; YAML does not allow tabs there"
        elif problem == "mapping values are not allowed here":
            hint = "check indentation; quote a value that contains ': ', e.g. description: \"Note: ...\""
        return None, [
            Issue(
                "error",
                "",
                msg,
                hint=hint,
                file=file,
                line=line,
                column=col,
                rule="yaml_syntax",
            )
        ]
    located = Located(data=None, file=file)
    issues: list[Issue] = []
    if root is None:
        located.data = {}
        return located, issues
    located.data = _Builder(located, issues).build(root, ())
    return located, issues


def load_file(path: str | Path) -> tuple[Located | None, list[Issue]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Issue("error", "", f"catalog file not found: {path}", file=str(path), rule="file")]
    except UnicodeDecodeError as exc:
        return None, [
            Issue("error", "", f"catalog is not UTF-8 text ({exc.reason})", file=str(path), rule="file")
        ]
    return load_yaml(text, str(path))


class _Builder:
    """Turns a composed YAML node tree into plain data, recording lines as it goes."""

    def __init__(self, located: Located, issues: list[Issue]):
        self.located = located
        self.issues = issues
        self.scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.located.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.scalars.construct_object(node)

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.issues.append(Issue("error", format_path(path), "a mapping key must be a plain name",
                                         file=self.located.file, line=line, rule="yaml_syntax"))
                continue
            key = str(self.scalars.construct_object(key_node))
            child = path + (key,)
            if key in out:
                first = self.located.keys[child][0]
                self.issues.append(Issue(
                    "error", format_path(child), f"duplicate key '{key}' (first defined on line {first})",
                    hint="YAML keeps only the last value of a repeated key; merge the two entries",
                    file=self.located.file, line=line, rule="duplicate_key"))
            self.located.keys[child] = (line, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, child)
        return out
