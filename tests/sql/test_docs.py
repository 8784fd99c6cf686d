"""docs/sql.md documents every semantic function and strategy, and its SQL examples run; every CLI
command is documented somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from hybridq.cli import main
from hybridq.sql.functions import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
SQL_DOC = ROOT / "docs" / "sql.md"
README = ROOT / "README.md"


def doc() -> str:
    return SQL_DOC.read_text(encoding="utf-8")


def sections(text: str) -> dict[str, str]:
    """Heading line -> the text up to the next heading."""
    parts = re.split(r"^(#{1,6} .*)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_semantic_function_is_documented(name):
    spec = FUNCTIONS[name]
    text = doc()
    assert f"`{spec.signature}`" in text, f"docs/sql.md does not show the signature `{spec.signature}`"
    headings = [h for h in sections(text) if re.search(rf"\b{name}\(", h)]
    assert headings, f"docs/sql.md has no heading for {name}()"
    body = sections(text)[headings[0]]
    returns = spec.returns.split("[")[0]
    assert returns.lower() in body.lower(), f"the {name}() section does not say it returns {spec.returns}"
    assert "```sql" in body, f"the {name}() section has no example"


def sql_examples() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", doc(), re.S)


def test_there_are_examples():
    assert len(sql_examples()) >= 15


@pytest.mark.parametrize("index", range(len(sql_examples())))
def test_sql_examples_run_on_acme(acme, index):
    example = sql_examples()[index]
    result = acme.sql(example)
    assert len(result) >= 1, f"the example returns no rows:\n{example}"


@pytest.mark.parametrize("query", [
    "SELECT similarity(body, 'refund') FROM tickets",
    "SELECT ticket_id, similarity(body, 'refund') AS s FROM tickets WHERE priority = 'urgent' ORDER BY s DESC LIMIT 5",
    "SELECT keyword_score(body, 'invoice') FROM tickets",
    "SELECT hybrid_score(body, 'invoice') FROM tickets",
    "SELECT * FROM vector_search('contracts.body', 'termination', 3)",
    "SELECT * FROM tickets t, LATERAL vector_search('kb_articles.body', t.body, 3) AS a",
    "SELECT similarity(a.body, t.body) FROM kb_articles a, tickets t",
])
def test_every_strategy_shown_by_explain_is_documented(acme, query):
    plan = acme.explain(query)
    assert plan.steps
    for step in plan.steps:
        assert f"**{step.strategy}**" in doc(), f"strategy '{step.strategy}' is not described in docs/sql.md"


def test_cli_formats_are_documented():
    sql_command = main.commands["sql"]
    formats = next(p for p in sql_command.params if p.name == "fmt").type.choices
    text = doc()
    for fmt in formats:
        assert f"--format {fmt}" in text
    explain_command = main.commands["explain"]
    assert "|".join(next(p for p in explain_command.params if p.name == "fmt").type.choices) in text


def command_paths(group: click.Group, prefix: tuple = ()) -> list[str]:
    paths = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += command_paths(command, prefix + (name,))
        else:
            paths.append(" ".join(prefix + (name,)))
    return paths


def test_command_walk_finds_the_query_commands():
    paths = command_paths(main)
    assert {"sql", "explain", "catalog validate"} <= set(paths)


def test_every_cli_command_is_documented():
    texts = [p.read_text(encoding="utf-8") for p in [README, *sorted((ROOT / "docs").glob("*.md"))] if p.exists()]
    everything = "\n".join(texts)
    missing = [path for path in command_paths(main) if f"hybridq {path}" not in everything]
    assert not missing, f"commands not in README.md or docs/*.md: {missing}"
