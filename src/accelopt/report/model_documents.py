"""The `--json` documents of `accelopt plan --list-models` and `plan infer --list-models`: typed and versioned, with
a JSON Schema (`accelopt schema plan-models`, `plan-infer-models`). They list built-in models, not a run: not
recorded, no HTML page (accelopt.report.schema.DOCUMENT_CLASSES). Both printed a bare JSON list before."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from accelopt.units import unit


@dataclass(frozen=True, kw_only=True)
class PlanModelsDocument:
    """`accelopt plan --list-models --json`: the presets that plan, plan explain and plan serve take as --model."""

    SCHEMA_KIND: ClassVar[str] = "plan-models"
    SCHEMA_VERSION: ClassVar[int] = 1

    count: int = unit("count", "presets listed")
    models: list[str] = field(metadata={"doc": "preset names, sorted (aliases not included)"})


@dataclass(frozen=True, kw_only=True)
class InferExampleRow:
    """One built-in example of `plan infer`, as its --list-models shows it."""

    name: str
    domain: str = field(metadata={"doc": "vision, speech or text"})
    input: str = field(metadata={"doc": "the default input of one inference"})
    source: str = field(metadata={"doc": "the architecture's source (paper, table) and its size"})


@dataclass(frozen=True, kw_only=True)
class InferModelsDocument:
    """`accelopt plan infer --list-models --json`: the built-in examples `plan infer` takes as MODEL."""

    SCHEMA_KIND: ClassVar[str] = "plan-infer-models"
    SCHEMA_VERSION: ClassVar[int] = 1

    count: int = unit("count", "examples listed")
    models: list[InferExampleRow]
