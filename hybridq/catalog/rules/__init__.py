"""Catalog validation rules.

Each rule is a small function `rule(ctx) -> iterable of Issue`. Rules return issues instead of
raising; the runner applies every rule in `RULES` order and turns a crash inside a rule into an
issue, so one broken rule never hides the others' findings.
"""

from __future__ import annotations

from hybridq.catalog.issues import Issue
from hybridq.catalog.rules.access import check_access_roles
from hybridq.catalog.rules.alerts import check_alerts
from hybridq.catalog.rules.context import RuleContext
from hybridq.catalog.rules.glossary import (
    check_example_sql,
    check_glossary_sql,
    check_synonyms_unique,
    check_terms_unique,
)
from hybridq.catalog.rules.live_sources import (
    check_http_options,
    check_live_source_options,
    check_postgres_capture,
    check_python_functions,
    check_table_or_query,
)
from hybridq.catalog.rules.relationships import check_relationship_key_types, check_relationship_references
from hybridq.catalog.rules.sources import check_document_templates, check_source_options, check_source_paths
from hybridq.catalog.rules.tables import (
    check_column_types,
    check_embedding_model,
    check_names,
    check_primary_keys,
    check_semantic_columns,
    check_table_sources,
    check_time_columns,
)

RULES = (
    check_names,
    check_table_sources,
    check_column_types,
    check_primary_keys,
    check_time_columns,
    check_semantic_columns,
    check_source_options,
    check_source_paths,
    check_document_templates,
    check_live_source_options,
    check_table_or_query,
    check_postgres_capture,
    check_http_options,
    check_python_functions,
    check_relationship_references,
    check_relationship_key_types,
    check_terms_unique,
    check_synonyms_unique,
    check_glossary_sql,
    check_example_sql,
    check_alerts,
    check_embedding_model,
    check_access_roles,
)


def run_rules(ctx: RuleContext, rules=RULES) -> list[Issue]:
    issues: list[Issue] = []
    for rule in rules:
        try:
            issues.extend(rule(ctx))
        except Exception as exc:  # a crashing rule is reported, not fatal
            issues.append(
                Issue(
                    "error",
                    "",
                    f"validation rule {rule.__name__} failed: {type(exc).__name__}: {exc}",
                    hint="the other rules still ran; fix the issues above and validate again",
                    file=ctx.file,
                    rule=rule.__name__,
                )
            )
    return issues


__all__ = ["RULES", "RuleContext", "run_rules"]
