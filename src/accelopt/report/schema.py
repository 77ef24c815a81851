"""One versioned JSON shape per command: typed result (dataclass) <-> JSON document <-> JSON Schema.

Every results command builds one typed result object (the classes in `CLASSES`); `--json`, the run
history and the HTML page all come from that object:

- `dump(kind, result)`: the JSON document, `{"schema": "accelopt.<kind>", "schema_version": N, ...fields}`.
  Fields are the dataclass fields (recursively), plus the read-only derived values a class lists in
  `DERIVED_UNITS`; non-finite floats become null (JSON has no NaN/inf).
- `load(kind, document)`: the typed object back (history re-renders pages from it); a document of
  another schema or version raises SchemaError.
- `json_schema(kind)`: the JSON Schema (draft 2020-12) of the document, each number with its `unit`
  (`accelopt schema KIND` prints it; docs/schemas.md lists them).

Bump a kind's SCHEMA_VERSION whenever its shape changes (a field added, renamed, removed or retyped); the class
then lists the older versions it still reads: READS_VERSIONS (only fields added with defaults) or UPGRADES
(version -> a function that rewrites such a body into the current shape).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import itertools
import math
import re
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from accelopt.errors import InputError


class SchemaError(InputError, ValueError):
    """A JSON document that claims a result schema but is not shaped like it (a damaged or hand-edited record)."""


class OtherVersionError(SchemaError):
    """A document of another schema or version (e.g. written by an older accelopt): readable only as JSON."""


# kind -> its result class ("module:Class"), imported only when needed (a probe need not import the planner).
# Each class names its kind and version: SCHEMA_KIND and SCHEMA_VERSION (ClassVars).
CLASSES = {
    "probe": "accelopt.measure.probe:ProbeResult",
    "profile": "accelopt.measure.profiler:ProfileResult",
    "plan": "accelopt.predict.results:PlanResult",
    "plan-workload": "accelopt.predict.results:WorkloadPlanResult",
    "plan-explain": "accelopt.predict.results:ExplainResult",
    "plan-serve": "accelopt.predict.serving:ServeResult",
    "validate": "accelopt.predict.validation:ValidateResult",
    "simulate-run": "accelopt.simulate.results:SimRunResult",
    "simulate-sweep": "accelopt.simulate.results:SimSweepResult",
    "catalog-compare": "accelopt.hardware.compare:CompareResult",
    "optimize": "accelopt.optimize.results:OptimizeResult",
    "plan-infer": "accelopt.predict.inference:InferencePlan",
    "validate-inference": "accelopt.predict.inference_validation:ValidateInferenceResult",
    "validate-serving": "accelopt.predict.serving_validation:ServingValidateResult",
    "profile-distributed": "accelopt.distributed.types:DistributedResult",
    "profile-partial": "accelopt.measure.profiler:PartialProfile",
    "profile-distributed-partial": "accelopt.distributed.types:PartialDistributedResult",
    "simulate-published": "accelopt.simulate.published:PublishedResult",
}
KINDS = tuple(CLASSES)
# Documents that are not results (no run recorded, no HTML page), each with a JSON Schema all the same: `accelopt
# schema KIND` prints it and docs/schemas.md lists it. A command's `--json` without one printed an unnamed shape.
DOCUMENT_CLASSES = {
    "history-list": "accelopt.report.history_documents:HistoryListDocument",
    "history-show": "accelopt.report.history_documents:HistoryShowDocument",
    "history-compare": "accelopt.report.history_documents:HistoryCompareDocument",
    "history-prune": "accelopt.report.history_documents:HistoryPruneDocument",
    "history-import": "accelopt.report.history_documents:HistoryImportDocument",
    "env": "accelopt.report.env_document:EnvDocument",
    "catalog-list": "accelopt.report.catalog_documents:CatalogListDocument",
    "catalog-show": "accelopt.report.catalog_documents:CatalogShowDocument",
    "plan-models": "accelopt.report.model_documents:PlanModelsDocument",
    "plan-infer-models": "accelopt.report.model_documents:InferModelsDocument",
    "simulate-presets": "accelopt.simulate.results:SimPresetsDocument",
    "simulate-export": "accelopt.simulate.results:SimExportDocument",
    "schema-list": "accelopt.report.schema_documents:SchemaListDocument",
    "validate-row": "accelopt.predict.run_command:ValidateRowDocument",
    "validate-serving-row": "accelopt.predict.serving_validation:ValidateServingRowDocument",
    "error": "accelopt.report.error_document:ErrorDocument",
}
DOCUMENT_KINDS = tuple(DOCUMENT_CLASSES)


def result_class(kind: str) -> tuple[type, int]:
    """(class, schema version) of kind's result."""
    import importlib

    classes = {**CLASSES, **DOCUMENT_CLASSES}
    if kind not in classes:
        from accelopt.errors import close_matches

        # 'simulate_run', 'Plan Serve', 'plan-serv': the closest kinds first
        typed = re.sub(r"[\s_]+", "-", kind.strip())
        close = [*close_matches(typed, KINDS, cutoff=0.6), *close_matches(typed, DOCUMENT_KINDS, cutoff=0.6)]
        hint = f"did you mean {' or '.join(repr(k) for k in close)}? Kinds: " if close else "use one of: "
        raise SchemaError(f"no result schema named {kind!r}", hint + ", ".join(classes))
    module, name = classes[kind].split(":")
    cls = getattr(importlib.import_module(module), name)
    return cls, int(cls.SCHEMA_VERSION)


def is_result(obj: Any) -> bool:
    return not isinstance(obj, type) and isinstance(getattr(type(obj), "SCHEMA_KIND", None), str)


def kind_of(result: Any) -> str:
    """The kind of a typed result object."""
    if not is_result(result):
        raise TypeError(f"{type(result).__name__} is not a result type (no SCHEMA_KIND)")
    return str(type(result).SCHEMA_KIND)


def schema_name(kind: str) -> str:
    return f"accelopt.{kind}"


# ---------------------------------------------------------------- dump
def to_plain(obj: Any) -> Any:
    """A typed value into plain JSON values: dataclass fields (plus DERIVED_UNITS properties), lists, dicts."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        # a field with repr=False (bulk data such as raw samples) is not part of the document
        out = {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.repr}
        for name in getattr(type(obj), "DERIVED_UNITS", {}):
            v = getattr(obj, name)
            out[name] = to_plain(v() if callable(v) else v)
        return out
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_plain(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and not isinstance(obj, str):  # numpy scalars
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dump(kind: str, result: Any) -> dict[str, Any]:
    """The JSON document of `result` (an instance of kind's class)."""
    cls, version = result_class(kind)
    if not isinstance(result, cls):
        raise TypeError(f"{kind} result must be a {cls.__name__}, not {type(result).__name__}")
    return {"schema": schema_name(kind), "schema_version": version, **to_plain(result)}


# ---------------------------------------------------------------- load
_FLOAT_MAX_INT = int(sys.float_info.max)  # a JSON integer past it has no float (10**400 in a hand-edited record)


def load(kind: str, document: Any) -> Any:
    """The typed result back from its JSON document; OtherVersionError if it is of another schema or version,
    SchemaError if it claims this one but is not shaped like it."""
    cls, version = result_class(kind)
    if not isinstance(document, Mapping):
        raise SchemaError(f"a {kind} result must be a JSON object, not {type(document).__name__}",
                          "give the document `accelopt ... --json` printed")
    got = (document.get("schema"), document.get("schema_version"))
    if got != (schema_name(kind), version):
        return _load_legacy(cls, kind, document, got)
    return _load_body(cls, kind, document, "")


def _load_body(cls: type, kind: str, document: Mapping[str, Any], version_note: str) -> Any:
    body = {k: v for k, v in document.items() if k not in ("schema", "schema_version")}
    try:
        return _load(cls, body, kind)
    except (TypeError, ValueError, KeyError) as e:
        raise SchemaError(f"{kind} result{version_note} does not match its schema: {e}",
                          f"check it against `accelopt schema {kind}`") from e


def _load_legacy(cls: type, kind: str, document: Mapping[str, Any], got: tuple[Any, Any]) -> Any:
    """A document of another schema or version: OtherVersionError, except a record written before its kind had
    a schema (no `schema_version`, no schema name; a class with LEGACY_UNVERSIONED keeps that shape), which
    loads as the current version when it still fits it, and an older version the class still reads
    (READS_VERSIONS: versions whose change was only a field added with a default; UPGRADES: version -> a function
    that rewrites a body of that version into the current shape, for a field renamed or retyped)."""
    if got[0] == schema_name(kind) and got[1] in getattr(cls, "READS_VERSIONS", ()):
        return _load_body(cls, kind, document, f" (version {got[1]})")
    upgrades = getattr(cls, "UPGRADES", {})
    if got[0] == schema_name(kind) and isinstance(got[1], int) and got[1] in upgrades:
        body = {k: v for k, v in document.items() if k not in ("schema", "schema_version")}
        return _load_body(cls, kind, upgrades[got[1]](body), f" (version {got[1]}, upgraded)")
    legacy = (getattr(cls, "LEGACY_UNVERSIONED", False) and "schema_version" not in document
              and not isinstance(document.get("schema"), str))
    if legacy:
        body = {k: v for k, v in document.items() if k != "schema"}
        try:
            return _load(cls, body, kind)
        except (TypeError, ValueError, KeyError) as e:
            raise OtherVersionError(f"this {kind} result predates its versioned schema and does not fit it ({e})",
                                    "re-run the command with this accelopt to get a current result") from e
    raise OtherVersionError(f"result is schema {got[0]!r} version {got[1]!r}, not {schema_name(kind)!r} "
                            f"version {version_of(cls)}", "re-run the command with this accelopt to get a current "
                            "result")


def version_of(cls: type) -> int:
    return int(getattr(cls, "SCHEMA_VERSION", 0))


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """Resolved field types of a dataclass (cached: resolving them is most of the cost of loading a result)."""
    return typing.get_type_hints(cls)


def _load(tp: Any, value: Any, where: str) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        if value is None and float in args:
            return math.nan
        errors = []
        for a in (a for a in args if a is not type(None)):
            try:
                return _load(a, value, where)
            except (TypeError, ValueError, KeyError) as e:
                errors.append(str(e))
        raise TypeError(f"{where}: {value!r} matches none of {tp} ({'; '.join(errors)})")
    if origin is typing.Literal:
        if value not in args:
            raise ValueError(f"{where}: {value!r} is not one of {args}")
        return value
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, Mapping):
            raise TypeError(f"{where}: expected an object for {tp.__name__}, got {type(value).__name__}")
        hints = _hints(tp)
        kw = {}
        for f in dataclasses.fields(tp):
            if not (f.init and f.repr):
                continue
            if f.name in value and value[f.name] is None and "null_means" in f.metadata:
                kw[f.name] = f.metadata["null_means"]  # e.g. a design's unlimited DRAM bandwidth: null = inf
            elif f.name in value:
                kw[f.name] = _load(hints[f.name], value[f.name], f"{where}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise KeyError(f"{where}: missing field {f.name!r}")
        return tp(**kw)
    if origin in (list, Sequence) or tp is list:
        if not isinstance(value, list):
            raise TypeError(f"{where}: expected a list, got {type(value).__name__}")
        item = args[0] if args else Any
        return [_load(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise TypeError(f"{where}: expected a list, got {type(value).__name__}")
        items = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        if len(items) != len(value):
            raise ValueError(f"{where}: expected {len(items)} items, got {len(value)}")
        return tuple(_load(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(items, value, strict=True)))
    if origin in (dict, Mapping) or tp is dict:
        if not isinstance(value, Mapping):
            raise TypeError(f"{where}: expected an object, got {type(value).__name__}")
        vt = args[1] if len(args) == 2 else Any
        return {str(k): _load(vt, v, f"{where}.{k}") for k, v in value.items()}
    if tp is float:
        if value is None:
            return math.nan  # JSON null stands for a non-finite number
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{where}: expected a number, got {value!r}")
        if isinstance(value, int) and abs(value) > _FLOAT_MAX_INT:  # float() raises OverflowError (a traceback)
            raise ValueError(f"{where}: an integer of {len(str(abs(value)))} digits is past the largest number a "
                             "result can hold (about 1.8e308)")
        return float(value)
    if tp is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise TypeError(f"{where}: expected {tp.__name__}, got {value!r}")
        return value
    raise TypeError(f"{where}: cannot read type {tp}")


# ---------------------------------------------------------------- JSON Schema
def json_schema(kind: str) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of kind's document; numbers carry `unit` (accelopt.units.UNIT_NAMES)."""
    cls, version = result_class(kind)
    defs: dict[str, Any] = {}
    root = _schema_of_dataclass(cls, defs)
    root["properties"] = {"schema": {"const": schema_name(kind)}, "schema_version": {"const": version},
                          **root["properties"]}
    root["required"] = ["schema", "schema_version", *root["required"]]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_name(kind),
            "title": f"accelopt {kind} result, version {version}", **root, "$defs": defs}


def _schema_of_dataclass(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = _hints(cls)
    props: dict[str, Any] = {}
    required = []
    for f in dataclasses.fields(cls):
        if not f.repr:
            continue
        s = _schema_of(hints[f.name], defs)
        if f.metadata.get("unit") is not None:
            s["unit"] = f.metadata["unit"]
        if f.metadata.get("doc"):
            s["description"] = f.metadata["doc"]
        props[f.name] = s
        required.append(f.name)
    for name, u in getattr(cls, "DERIVED_UNITS", {}).items():
        props[name] = {"readOnly": True, "description": "derived from the other fields", **({"unit": u} if u else {})}
        required.append(name)
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    return {"type": "object", "description": doc, "properties": props, "required": required}


def _schema_of(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return {}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema_of(a, defs) for a in args]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {}  # placeholder: recursion
            defs[tp.__name__] = _schema_of_dataclass(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    if origin in (list, Sequence) or tp is list:
        return {"type": "array", "items": _schema_of(args[0], defs) if args else {}}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema_of(args[0], defs)}
        return {"type": "array", "prefixItems": [_schema_of(a, defs) for a in args], "items": False}
    if origin in (dict, Mapping) or tp is dict:
        return {"type": "object", "additionalProperties": _schema_of(args[1], defs) if len(args) == 2 else {}}
    if tp is float:
        return {"type": ["number", "null"]}  # null: not finite (NaN or infinity) or not applicable
    if tp is int:
        return {"type": "integer"}
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is type(None):
        return {"type": "null"}
    raise TypeError(f"no JSON Schema for {tp}")


# ---------------------------------------------------------------- docs/schemas.md
def docs_markdown() -> str:
    """docs/schemas.md: every kind's fields (JSON path, type, unit, meaning). tests/test_report_schema.py
    checks that the file equals this text; regenerate with
    `python -c "from accelopt.report.schema import docs_markdown; print(docs_markdown(), end='')" > docs/schemas.md`."""
    out = ["# JSON result schemas", "",
           "Every results command's `--json` document (and each run in `accelopt history`) has the shape below, "
           "named by its `schema` field (`accelopt.KIND`) and versioned by `schema_version`; a version is bumped "
           "whenever a field is added, renamed, removed or retyped. `accelopt schema KIND` prints the JSON Schema "
           "(draft 2020-12) of a kind, with the unit of every number in its `unit` keyword. Units are the names of "
           "`accelopt.units.UNIT_NAMES`: SI base units (s, B = byte, J, W, FLOP, USD) and their ratios (B/s, FLOP/s, "
           "FLOP/B, B/param = bytes per parameter, MAC/B = multiply-accumulates per byte, 1 MAC = 2 OP), `fraction` "
           "(0..1; `accuracy`: a fraction shown to 0.01 points), `count`, rates of a count (samples/s, "
           "inferences/s, inferences/J, tok/s, Hz = per second), `x` (a ratio), and, for figures kept as a paper "
           "printed them, mW, ms, MB (1e6 bytes) and GMAC (1e9 MACs). "
           "A number that is not finite (NaN, infinity) or not applicable is `null`. Generated by "
           "`accelopt.report.schema.docs_markdown`; do not edit by hand.", ""]
    for kind in (*KINDS, *DOCUMENT_KINDS):
        cls, version = result_class(kind)
        doc = (cls.__doc__ or "").strip().split("\n\n")[0]
        out += [f"## {kind} (`{schema_name(kind)}`, version {version})", "", doc, "",
                "| field | type | unit | meaning |", "|---|---|---|---|"]
        out += [f"| `{p}` | {t} | {u} | {m} |" for p, t, u, m in _rows(cls, "", set())]
        out.append("")
    return "\n".join(out)


def _type_name(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args)
    if origin is typing.Literal:  # an enum of names: 'FLOP/s' or 'B/s' (was 'any')
        return " or ".join(f"'{a}'" for a in args)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return "object"
    if origin in (list, Sequence, tuple) or tp is list:
        return "list"
    if origin in (dict, Mapping) or tp is dict:
        return f"map of {_type_name(args[1])}" if len(args) == 2 else "map"
    return {float: "number", int: "integer", str: "string", bool: "boolean", type(None): "null"}.get(tp, "any")


def _inner(tp: Any) -> type | None:
    """The dataclass a field holds (directly, in a list, or as a map's values), if any."""
    for a in (tp, *typing.get_args(tp)):
        if dataclasses.is_dataclass(a) and isinstance(a, type):
            return a
        for b in typing.get_args(a):
            if dataclasses.is_dataclass(b) and isinstance(b, type):
                return b
    return None


def _field_docs(cls: type) -> dict[str, str]:
    """The docstrings written under a dataclass's fields (`x: float` then a string literal), first line; those of
    the dataclass bases too (a subclass's own docstring wins)."""
    docs: dict[str, str] = {}
    for c in reversed(cls.__mro__):
        if dataclasses.is_dataclass(c):
            docs.update(_own_field_docs(c))
    return docs


def _own_field_docs(cls: type) -> dict[str, str]:
    """The field docstrings written in `cls`'s own class body."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs = {}
    for a, b in itertools.pairwise(body):
        if (isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name) and isinstance(b, ast.Expr)
                and isinstance(b.value, ast.Constant) and isinstance(b.value.value, str)):
            docs[a.target.id] = " ".join(b.value.value.split())
    return docs


def _rows(cls: type, prefix: str, seen: set[type]) -> list[tuple[str, str, str, str]]:
    hints = _hints(cls)
    docs = _field_docs(cls)
    rows = []
    for f in dataclasses.fields(cls):
        if not f.repr:
            continue
        tp = hints[f.name]
        meaning = "; ".join(x for x in (str(f.metadata.get("doc", "")), docs.get(f.name, "")) if x)
        rows.append((prefix + f.name, _type_name(tp), str(f.metadata.get("unit", "")), meaning.replace("|", "/")))
        inner = _inner(tp)
        if inner is not None and inner not in seen:
            origin = typing.get_origin(tp)
            sub = "[]" if origin in (list, tuple) else ".*" if origin in (dict, Mapping) else ""
            rows += _rows(inner, f"{prefix}{f.name}{sub}.", seen | {inner})
    for name, u in getattr(cls, "DERIVED_UNITS", {}).items():
        rows.append((prefix + name, "derived", u, "computed from the fields above (read-only)"))
    return rows
