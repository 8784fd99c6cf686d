"""Rules about standing queries (`alerts:`): a SQL text or a question, key columns, notify targets."""

from __future__ import annotations

from typing import Iterator

import sqlglot
from sqlglot import exp

from hybridq.catalog.binding import bind_query
from hybridq.catalog.issues import Issue, suggestion
from hybridq.catalog.rules.context import RuleContext
from hybridq.catalog.rules.live_sources import header_issues


def check_alerts(ctx: RuleContext) -> Iterator[Issue]:
    seen: dict[str, int] = {}
    for i, alert in enumerate(ctx.catalog.alerts):
        path = ("alerts", i)
        if alert.name.lower() in seen:
            first = ctx.file_path(("alerts", seen[alert.name.lower()]))[1]
            yield ctx.issue(path + ("name",), f"alert '{alert.name}' is defined twice (also alerts[{first}])",
                            "give each alert its own name: the last result is kept under it")
        seen.setdefault(alert.name.lower(), i)
        if (alert.sql is None) == (alert.question is None):
            yield ctx.issue(path, f"alert '{alert.name}' needs exactly one of 'sql' and 'question'",
                            "sql: SELECT ... or question: \"enterprise tickets mentioning a data breach\"")
        if alert.sql is not None:
            problems = bind_query(alert.sql, ctx.catalog, ctx.unchecked)
            for p in problems:
                yield ctx.issue(path + ("sql",), p.message, p.hint)
            if not problems:
                yield from _key_issues(ctx, path, alert.sql, alert.key)
        if not alert.notify:
            yield ctx.issue(path, f"alert '{alert.name}' notifies nobody", level="warning",
                            hint="add notify: [{stdout: true}], a file or a webhook; Session.subscribe() also reads it")
        for j, target in enumerate(alert.notify):
            tpath = path + ("notify", j)
            chosen = [k for k in ("stdout", "file", "webhook") if getattr(target, k)]
            if len(chosen) != 1:
                yield ctx.issue(tpath, "a notify target is exactly one of stdout, file or webhook"
                                + (f" (this one has {', '.join(chosen)})" if chosen else ""),
                                "write one target per list item: - {file: alerts.jsonl}")
            if target.webhook and not target.webhook.startswith(("http://", "https://")):
                yield ctx.issue(tpath + ("webhook",), f"'{target.webhook}' is not an http(s) URL",
                                "e.g. webhook: https://hooks.example.com/hybridq")
            if target.headers and not target.webhook:
                yield ctx.issue(tpath + ("headers",), "headers are only sent to a webhook", "remove 'headers:'")
            yield from header_issues(ctx, tpath + ("headers",), target.headers)


def _key_issues(ctx: RuleContext, path: tuple, sql: str, key: list[str]) -> Iterator[Issue]:
    """Key columns must be columns of the result (checked when the result's names are known)."""
    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except sqlglot.errors.ParseError:
        return
    if not isinstance(tree, exp.Query) or any(isinstance(s, exp.Star) or (isinstance(s, exp.Column) and s.is_star)
                                              for s in tree.selects):
        return
    names = tree.named_selects
    lowered = {n.lower() for n in names}
    for j, column in enumerate(key):
        if column.lower() not in lowered:
            yield ctx.issue(path + ("key",) + ((j,) if len(key) > 1 else ()),
                            f"key column '{column}' is not a column of the alert's result",
                            suggestion(column, names, "result columns"))
