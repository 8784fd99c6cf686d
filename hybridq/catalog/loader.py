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
    except RecursionError:
        return None, [Issue("error", "", "the catalog is nested too deeply to read", file=file, rule="yaml_syntax",
                            hint="a catalog nests a few levels: check for a runaway list or mapping")]
    located = Located(data=None, file=file)
    issues: list[Issue] = []
    if root is None:
        located.data = {}
        return located, issues
    try:
        located.data = _Builder(located, issues).build(root, ())
    except _TooLarge as exc:
        return None, [Issue("error", format_path(exc.path), str(exc), file=file, line=exc.line, rule="yaml_syntax",
                            hint="YAML aliases (*name) repeat what they name: a few of them nested can expand "
                                 "without bound; write the values out")]
    except RecursionError:
        return None, [Issue("error", "", "the catalog is nested too deeply to read", file=file, rule="yaml_syntax")]
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


MAX_VALUES = 200_000  # values in a catalog once aliases are expanded (acme has about 2,000)
MAX_DEPTH = 64


class _TooLarge(Exception):
    def __init__(self, message: str, path: PathKey, line: int):
        super().__init__(message)
        self.path, self.line = path, line


class _Builder:
    """Turns a composed YAML node tree into plain data, recording lines as it goes.

    Aliases make the tree a graph: what they expand to is bounded (MAX_VALUES values, MAX_DEPTH
    levels), so a small file cannot expand to gigabytes."""

    def __init__(self, located: Located, issues: list[Issue]):
        self.located = located
        self.issues = issues
        self.scalars = yaml.SafeLoader("")
        self.count = 0

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.count += 1
        if self.count > MAX_VALUES or len(path) > MAX_DEPTH:
            what = (f"the catalog expands to more than {MAX_VALUES:,} values" if self.count > MAX_VALUES
                    else f"the catalog nests more than {MAX_DEPTH} levels deep")
            raise _TooLarge(what, path, node.start_mark.line + 1)
        self.located.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        try:
            return self.scalars.construct_object(node)
        except ValueError as exc:  # an integer of thousands of digits
            self.issues.append(Issue("error", format_path(path), f"value cannot be read: {str(exc).split(';')[0]}",
                                     file=self.located.file, line=node.start_mark.line + 1, rule="yaml_syntax"))
            return None

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
