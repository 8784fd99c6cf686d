"""Turn pydantic validation errors into catalog issues with lines and did-you-mean hints."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from hybridq.catalog.issues import Issue, did_you_mean, suggestion
from hybridq.catalog.loader import Located, PathKey, format_path


def schema_issues(errors: list[dict], root_model: type[BaseModel], located: Located) -> list[Issue]:
    """One issue per pydantic error (as from ValidationError.errors()).

    A misspelt required key shows up twice, as an unknown key and as the missing one; only the
    unknown key is reported (its hint names the missing key).
    """
    misspelt = set()
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden" and loc:
            close = did_you_mean(str(loc[-1]), _fields_of(_model_at(root_model, loc[:-1])))
            if close:
                misspelt.add(loc[:-1] + (close,))
    return [_issue_for(err, tuple(err["loc"]), root_model, located) for err in errors
            if not (err["type"] == "missing" and tuple(err["loc"]) in misspelt)]


def _issue_for(err: dict, loc: PathKey, root_model: type[BaseModel], located: Located) -> Issue:
    kind = err["type"]
    value = err.get("input")
    path = format_path(loc)
    line = located.report_line(loc)
    hint = None
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _fields_of(_model_at(root_model, loc[:-1]))
        message = f"unknown key '{key}'"
        hint = suggestion(key, allowed, "keys here")
    elif kind == "missing":
        message = f"missing required key '{loc[-1]}'"
        parent = _model_at(root_model, loc[:-1])
        field = parent.model_fields.get(str(loc[-1])) if parent else None
        hint = field.description if field and field.description else f"add '{loc[-1]}:'"
        line = located.report_line(loc[:-1])
    elif kind in ("literal_error", "enum"):
        expected = _literal_choices(root_model, loc)
        message = f"'{value}' is not one of: {', '.join(expected)}"
        hint = suggestion(str(value), expected, "values")
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        message = f"expected a mapping of keys, got {_describe(value)}"
        hint = "write it as indented 'key: value' lines or {key: value}"
    elif kind == "list_type":
        message = f"expected a list, got {_describe(value)}"
        hint = "write it as [a, b] or as '- item' lines"
    elif kind.startswith("int_") or kind.startswith("float_") or kind.startswith("bool_"):
        wanted = "an integer" if kind.startswith("int") else "a number" if kind.startswith("float") else "true or false"
        message = f"expected {wanted}, got {_describe(value)}"
        hint = _field_hint(root_model, loc) or _example_hint(root_model, loc, wanted)
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        message = f"{value!r} is out of range: {err['msg'].lower()}"
        hint = _field_hint(root_model, loc)
    elif kind == "string_type":
        message = f"expected text, got {_describe(value)}"
        hint = _field_hint(root_model, loc) or "write text; quote it when it looks like a number, a date or a list"
    elif kind == "string_pattern_mismatch":
        message = f"'{value}' is not a valid name"
        hint = "use letters, digits, '_' and '-', starting with a letter"
    elif kind.startswith("date"):
        message = f"expected a date (YYYY-MM-DD), got {_describe(value)}"
        hint = "write the date as year-month-day, e.g. 2024-06-30"
    else:
        message = err["msg"]
        hint = _field_hint(root_model, loc)
    return Issue("error", path, message, hint=hint, file=located.file, line=line, rule="schema")


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _unwrap(annotation: Any) -> Any:
    """The model or container type inside Optional[...]."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return _unwrap(non_none[0]) if len(non_none) == 1 else annotation
    return annotation


def _model_at(root: type[BaseModel], loc: PathKey) -> type[BaseModel] | None:
    """The pydantic model class that validates the node at `loc`."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part)) or next(
                (f for f in current.model_fields.values() if f.alias == part), None
            )
            if field is None:
                return None
            current = field.annotation
            continue
        origin = typing.get_origin(current)
        args = typing.get_args(current)
        if origin in (dict,) and len(args) == 2:
            current = args[1]
        elif origin in (list,) and args:
            current = args[0]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _fields_of(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _field_info(root: type[BaseModel], loc: PathKey):
    parent = _model_at(root, loc[:-1]) if loc else None
    if parent is None:
        return None
    name = str(loc[-1])
    return parent.model_fields.get(name) or next(
        (f for f in parent.model_fields.values() if f.alias == name), None
    )


def _field_hint(root: type[BaseModel], loc: PathKey) -> str | None:
    info = _field_info(root, loc)
    return info.description if info else None


def _example_hint(root: type[BaseModel], loc: PathKey, wanted: str) -> str:
    """'write an integer, e.g. batch_size: 64', from the field's default when it has one."""
    info = _field_info(root, loc)
    default = getattr(info, "default", None)
    if isinstance(default, bool):
        default = str(default).lower()
    if loc and isinstance(loc[-1], str) and isinstance(default, (int, float, str)):
        return f"write {wanted}, e.g. {loc[-1]}: {default}"
    return f"write {wanted}"


def _literal_choices(root: type[BaseModel], loc: PathKey) -> list[str]:
    info = _field_info(root, loc)
    if info is None:
        return []
    return [str(a) for a in typing.get_args(_unwrap(info.annotation))]
