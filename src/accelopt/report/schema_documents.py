"""The `--json` document of `accelopt schema --list`: typed and versioned, with a JSON Schema (`accelopt schema
schema-list`). It names the kinds, not a run: not recorded, no HTML page (accelopt.report.schema.DOCUMENT_CLASSES).
It printed an unnamed {"kinds": [...]} before."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from accelopt.units import unit


@dataclass(frozen=True, kw_only=True)
class SchemaKindRow:
    """One kind `accelopt schema KIND` prints."""

    kind: str
    schema: str = field(metadata={"doc": "the `schema` field of its documents: accelopt.KIND"})
    schema_version: int = field(metadata={"doc": "the `schema_version` this accelopt writes"})


@dataclass(frozen=True, kw_only=True)
class SchemaListDocument:
    """`accelopt schema --list --json`: every result kind, then the documents that are not results, with versions."""

    SCHEMA_KIND: ClassVar[str] = "schema-list"
    SCHEMA_VERSION: ClassVar[int] = 1

    count: int = unit("count", "kinds listed")
    kinds: list[SchemaKindRow]
