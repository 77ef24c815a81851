"""The schema versions README.md and docs/schemas.md quote are the ones the code writes (ut_readme).

README's JSON-schemas paragraph showed `{"schema": "accelopt.plan-explain", "schema_version": 1, ...}` as what a
document starts with, while `plan explain --json` writes version 9; and docs/schemas.md said a version is bumped
when a field is 'renamed, removed or retyped', while every kind's version also went up for a field added
(tests/test_schema_versions.py: plan 3 to 10, probe 6 to 8 ...), as README says."""

from __future__ import annotations

import re
from pathlib import Path

from accelopt.report import schema

ROOT = Path(__file__).resolve().parents[1]


def _quoted_versions(text: str) -> list[tuple[str, int]]:
    """(kind, version) for each `"schema": "accelopt.KIND", "schema_version": N` and each 'schema `KIND` version N'."""
    pairs = [(m[0], int(m[1])) for m in
             re.findall(r'"schema":\s*"accelopt\.([a-z-]+)",\s*"schema_version":\s*(\d+)', text)]
    pairs += [(m[0], int(m[1])) for m in re.findall(r"schema\s+`([a-z-]+)`\s+version\s+(\d+)", text)]
    return pairs


def test_readme_quotes_current_schema_versions() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = _quoted_versions(text)
    assert quoted, "README quotes no schema version: the pattern above no longer finds them"
    wrong = [(kind, n, schema.version_of(schema.result_class(kind)[0])) for kind, n in quoted
             if n != schema.version_of(schema.result_class(kind)[0])]
    # 'added in version N' sentences name the version a field came in, not the current one: only the
    # document-start example and 'schema KIND version N' as the current shape are checked
    assert not [w for w in wrong if not re.search(rf"added in schema\s+`{w[0]}`\s+version\s+{w[1]}", text)], wrong


def test_the_document_start_example_is_the_current_version() -> None:
    """utreadme (2026-12-05): README's example of a document's first two fields read `"schema_version": 12` for
    plan-explain while `plan explain --json` wrote 14; the check above let it pass, because an 'added in schema
    `plan-explain` version 12' sentence elsewhere excused that kind and version. A document's start is always the
    current version: no sentence excuses it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    starts = re.findall(r'"schema":\s*"accelopt\.([a-z-]+)",\s*"schema_version":\s*(\d+)', text)
    assert starts, "README shows no document start: the pattern above no longer finds it"
    for kind, n in starts:
        assert int(n) == schema.version_of(schema.result_class(kind)[0]), (kind, n)


def test_schemas_doc_says_an_added_field_bumps_the_version() -> None:
    assert "whenever a field is added, renamed, removed or retyped" in schema.docs_markdown()
    assert (ROOT / "docs" / "schemas.md").read_text(encoding="utf-8") == schema.docs_markdown()


def test_readme_short_version_quotes_are_marked_as_history() -> None:
    """README's MoE serving paragraph said 'The JSON (`plan-serve` v2) carries each point's `moe` figures' while
    `plan serve --json` writes version 10: a `KIND` vN quote not marked 'since' (the version a field came in) reads
    as the current one (ut_readme2)."""
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for m in re.finditer(r"(\w+ )?`([a-z-]+)` v(?:ersion )?(\d+)\b", text):
        kind, n = m[2], int(m[3])
        try:
            current = schema.version_of(schema.result_class(kind)[0])
        except Exception:  # `name` vN of something that is not a result kind
            continue
        assert n == current or (m[1] or "").strip() in ("since", "schema"), m[0]
