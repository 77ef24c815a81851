"""Recipe files: the chain of techniques (with their parameters) that made a variant, so
`accelopt optimize --apply RECIPE [MODEL]` reproduces it (without MODEL, on the model model_source records).
JSON, versioned:

    {"accelopt_recipe": 2, "model": "digits", "mode": "inference", "dtype": "fp32",
     "techniques": [{"name": "bf16", "params": {}}, {"name": "compile", "params": {"mode": "default"}}],
     "measured": {"speedup": 1.8, "quality": 0.975, "metric": "accuracy", "device": "cpu"},
     "model_file": "model-bf16.pt",
     "model_source": {"model": "/abs/my_model.py:build", "file": "/abs/my_model.py", "factory": "build",
                      "sha256": "...", "size": null, "batch_size": null, "seq_len": null,
                      "inputs": {"/abs/train.csv": "<sha256>"}}}

Version 2 added model_source.inputs (the files the model's code read, FilesRead); a version 1 recipe still reads, its
data files unchecked (said in its notes).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from accelopt.errors import AcceloptError, InputError, unknown_fields
from accelopt.optimize.base import MODES, Variant, check_step
from accelopt.optimize.results import OptimizeResult, VariantResult
from accelopt.optimize.steps import PRUNED_LOAD, QUANTIZED_LOAD, is_structural, subclass_tensor_types, tensors_put_back
from accelopt.userio import path_kind, read_user_json

RECIPE_VERSION = 2
READS_RECIPE_VERSIONS = (1, 2)
"""Version 1 recorded no model_source.inputs: it reads, and --apply without MODEL says its data files go unchecked."""
RECIPE_FILE = "recipe.json"


@dataclass(kw_only=True)
class Recipe:
    model: str
    mode: str
    dtype: str
    techniques: list[tuple[str, dict[str, Any]]]
    measured: dict[str, Any] = field(default_factory=dict)
    source: ModelSource | None = None
    """model_source: what `--apply RECIPE` without MODEL rebuilds the model from (model_source() wrote it); None in
    a recipe written before accelopt recorded it."""
    notes: list[str] = field(default_factory=list)
    """What reading the file noticed that does not stop --apply (a model_file that is not beside it), to be said
    beside the result; not written back by to_dict."""
    rebuilt_notes: list[str] = field(default_factory=list)
    """Notes that concern the recorded model alone, said only where --apply rebuilds it (MODEL left out): a version 1
    recipe's 'data files not checked'. With MODEL no recorded file is checked whatever the version (the model is
    built from the files as they are), so the note would single out version 1 for nothing (review s31 rvfair)."""

    def to_dict(self) -> dict[str, Any]:
        return {"accelopt_recipe": RECIPE_VERSION, "model": self.model, "mode": self.mode, "dtype": self.dtype,
                "techniques": [{"name": n, "params": p} for n, p in self.techniques], "measured": self.measured}


_RECIPE_KEYS = frozenset({"accelopt_recipe", "model_file", "model_source",
                          *(f.name for f in fields(Recipe) if f.name not in ("source", "rebuilt_notes"))})
"""Top-level fields of a recipe: the version, Recipe's fields (to_dict), model_file and model_source (which save()
adds)."""


@dataclass(frozen=True, kw_only=True)
class ModelSource:
    """A recipe's model_source: the save run's MODEL and model flags, and the file the model was built from."""

    model: str
    """MODEL as model_key() records it (a file's path made absolute)."""
    size: str | None = None
    batch_size: int | None = None
    seq_len: int | None = None
    """--size, --batch-size and --seq-len as given to the save run (None: left out)."""
    file: str | None = None
    """The file the model is built from (a file.py:factory's file, an HF config.json); None for a zoo name or a
    built-in example."""
    sha256: str | None = None
    """Of `file` when the recipe was saved: a file changed since is refused (recorded_model)."""
    factory: str | None = None
    """The function of a file.py:factory."""
    inputs: dict[str, str] | None = None
    """Absolute path -> sha256 of every data file the model's code read while the save run built and measured it
    (a CSV its factory loads; FilesRead): a file changed since is refused like
    `file` (recorded_model). None in a recipe of version 1, which recorded none."""

    def named(self) -> str:
        """MODEL with its --size, as the warning of a recipe applied to another model names each."""
        return self.model + (f" --size {self.size}" if self.size else "")

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


_SOURCE_KEYS = {"model": str, "file": str, "factory": str, "sha256": str, "size": str, "batch_size": int,
                "seq_len": int, "inputs": dict}
"""model_source's fields (ModelSource's) and their types (each but model may be absent or null)."""
_KIND_WORDS = {str: "a string", int: "a whole number"}


def model_key(model: str, is_path: bool) -> str:
    """MODEL as the recipe records it: a file.py:factory with the file's absolute path, an HF config's absolute
    path, a zoo name or built-in example as given (so that another working directory finds the same file)."""
    path_s, sep, func = model.rpartition(":")
    if sep and path_s.endswith(".py"):
        return f"{Path(path_s).resolve()}:{func}"
    return str(Path(model).resolve()) if is_path else model


def model_source(model: str, *, is_path: bool, size: str | None, batch_size: int | None,
                 seq_len: int | None) -> ModelSource:
    """The recipe's model_source: MODEL (model_key), the model flags given, and for a model read from a file that
    file's absolute path and sha256, so that `--apply RECIPE` without MODEL refuses a file changed since."""
    key = model_key(model, is_path)
    src = ModelSource(model=key, size=size, batch_size=batch_size, seq_len=seq_len)
    path_s, sep, func = key.rpartition(":")
    is_py = bool(sep) and path_s.endswith(".py")
    file = Path(path_s) if is_py else Path(key) if is_path else None
    if file is not None and file.is_dir():  # an HF config folder: its config.json is what the model is built from
        file = file / "config.json"
    if file is None or not file.is_file():
        return src
    return dataclasses.replace(src, file=str(file), sha256=_sha256(file), factory=func if is_py else None)


_RECORDERS: list[FilesRead] = []
"""The FilesRead contexts open now (the audit hook below records into each)."""
_HOOKED = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """sys.addaudithook's hook (PEP 578): the 'open' event (open(), io.open_code, os.open) of each file path while a
    FilesRead is open, recorded into those entered on the opening thread. An audit hook cannot be removed, so it does
    nothing when none is."""
    if event != "open" or not _RECORDERS:
        return
    import threading

    mine = [r for r in _RECORDERS if r.thread == threading.get_ident()]
    if not mine:  # another thread's open (a progress bar, a log writer, a server): no read of the model's build
        return
    name, mode, flags = (*tuple(args), None, None, None)[:3]
    if not isinstance(name, str | bytes):  # a file descriptor (os.fdopen)
        return
    writes = (any(c in mode for c in "wax+") if isinstance(mode, str)
              else isinstance(flags, int) and flags & 3 != 0)  # os.open: O_WRONLY 1, O_RDWR 2
    import os

    # absolute now: a relative name is the working directory's at the time it was opened
    text = os.path.abspath(name.decode(errors="replace") if isinstance(name, bytes) else name)
    for r in mine:
        (r.written if writes else r.read).setdefault(text, None)


class FilesRead:
    """The data files the model's code reads while this context is open (a CSV its factory loads, a tokenizer's
    JSON), found by the interpreter's 'open' audit event (PEP 578), so that a recipe records their sha256 (inputs)
    and --apply refuses one changed since. Left out (inputs()): files also written in the run (an ONNX export read
    back), Python source and bytecode (_an_input), the Python installation and its packages (sys.prefix,
    site-packages), accelopt's own files, the system's (/usr, /etc, /proc, /sys, /dev), caches (~/.cache, torch
    inductor's), and `skip` (the model file, whose sha256 model_source records already). Not seen: the opens of
    other threads than the one that entered the context (a thread the model's code starts to load its data included),
    of other processes (DataLoader workers), and reads a C extension makes without Python's open (the event is
    raised by open(), io.open_code and os.open only)."""

    def __init__(self) -> None:
        self.read: dict[str, None] = {}
        self.written: dict[str, None] = {}
        self.thread = 0
        """threading.get_ident() of the thread that entered the context: only its opens are recorded."""

    def __enter__(self) -> FilesRead:
        global _HOOKED
        import sys
        import threading

        self.thread = threading.get_ident()

        if not _HOOKED:
            sys.addaudithook(_audit)
            _HOOKED = True
        _RECORDERS.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _RECORDERS.remove(self)

    def paths(self, skip: Iterable[str | Path] = ()) -> list[str]:
        """The absolute path of each file read and not left out (see the class), in the order first read."""
        written = {_absolute(n) for n in self.written}
        left_out = {_absolute(s) for s in skip} | written
        out: dict[str, None] = {}
        for name in list(self.read):
            path = _absolute(name)
            if path not in left_out and path not in out and _an_input(path):
                out[path] = None
        return list(out)

    def inputs(self, skip: Iterable[str | Path] = ()) -> dict[str, str]:
        """Absolute path -> sha256 of each file read and not left out (see the class), in the order first read."""
        paused = list(_RECORDERS)  # hashing opens the files: not recorded as the model's reads
        _RECORDERS.clear()
        try:
            out: dict[str, str] = {}
            for path in self.paths(skip):
                try:
                    out[path] = _sha256(Path(path))
                except OSError:  # unreadable now (gone, a FIFO): nothing to check it against later
                    continue
            return out
        finally:
            _RECORDERS.extend(paused)


def _absolute(name: str | Path) -> str:
    import os

    return os.path.realpath(os.path.abspath(name))


def _an_input(path: str) -> bool:
    """Whether a file read is one of the model's inputs, not the interpreter's, a package's or a cache's."""
    import os
    import site
    import sys
    import sysconfig

    p = Path(path)
    # Python source is left out: beside the modules a model file imports, the run reads any .py through linecache (a
    # warning's or traceback's source line; pytest's conftest.py was recorded so), which is no input of the model
    if not p.is_file() or p.suffix in (".py", ".pyi", ".pyc", ".so", ".pyd") or "__pycache__" in p.parts:
        return False
    home = Path.home()
    outside = {sys.prefix, sys.base_prefix, sys.exec_prefix, sysconfig.get_paths().get("stdlib", ""),
               *site.getsitepackages(), site.getusersitepackages(), str(Path(__file__).resolve().parents[1]),
               "/usr", "/etc", "/proc", "/sys", "/dev", "/lib", "/lib64", "/run", str(home / ".cache"),
               str(home / ".triton"), os.environ.get("TORCHINDUCTOR_CACHE_DIR", "")}
    if any(part.startswith("torchinductor_") or part in ("site-packages", "dist-packages") for part in p.parts):
        return False
    # a package's metadata (an editable install's src/accelopt.egg-info, read by importlib.metadata) and the built-in
    # examples' weight cache ($ACCELOPT_HOME/examples: read when cached, only written when trained): `optimize --apply
    # out/` of a `digits` recipe was refused, the apply run reading the cache the save run had written (ut3readme)
    if any(part.endswith((".egg-info", ".dist-info")) for part in p.parts):
        return False
    from accelopt.paths import accelopt_home

    outside.add(str(accelopt_home() / "examples"))
    return not any(o and (path == o or path.startswith(_absolute(o).rstrip("/") + "/")) for o in outside)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded_model(recipe: Recipe, path: str) -> ModelSource:
    """The recipe's model_source, for `--apply RECIPE` without MODEL; an InputError when it records none, or its
    file no longer exists or differs from the one recorded (sha256): the recipe's model is not rebuilt from
    another file without a word."""
    src = recipe.source
    fix = f"pass MODEL after the recipe: accelopt optimize --apply {path} MODEL"
    if not src:
        raise InputError(f"recipe {path!r} records no model_source to rebuild the model from (written before "
                         f"accelopt recorded one, or by hand); it names the model {recipe.model!r}", fix)
    file = src.file
    if file is None:
        return src
    f = Path(file)
    if not f.is_file():
        raise InputError(f"recipe {path!r} was made on {src.model}, and the file {file!r} {_not_a_file(f)}",
                         fix + " (the file's new place, or another model)")
    if src.sha256 is not None and _sha256(f) != src.sha256:
        gone = src.factory is not None and not _defines(f, src.factory)
        raise InputError(f"recipe {path!r} was made on {src.model}, and {file!r} changed since the recipe was "
                         "saved (its sha256 differs from the recorded one)"
                         + (f" and defines no function {src.factory!r} any more" if gone else ""),
                         f"pass MODEL to apply the recipe to the file as it is now (accelopt optimize --apply {path} "
                         f"{src.model}), or rerun `accelopt optimize --save` on it for a new recipe")
    _check_inputs(src, path)
    return src


def _not_a_file(f: Path) -> str:
    """What a recorded file that is not one now is: gone, or a folder (or a device, a pipe) at its path. A folder
    was said to be a file that 'no longer exists'."""
    kind = path_kind(f, "recorded file")
    if kind == "missing":
        return "no longer exists"
    return f"is now a {'folder' if kind == 'folder' else 'device or pipe'}, not the file that was read"


def _check_inputs(src: ModelSource, path: str) -> None:
    """Each file model_source.inputs records is there and has its recorded sha256: a CSV the factory reads, changed
    since the save, rebuilt another model (other data, other weights trained in the factory) without a word."""
    fix = (f"pass MODEL to apply the recipe to the files as they are now (accelopt optimize --apply {path} "
           f"{src.model}), or rerun `accelopt optimize --save` for a new recipe")
    for name, digest in (src.inputs or {}).items():
        f = Path(name)
        if not f.is_file():
            raise InputError(f"recipe {path!r} was made on {src.model}, whose code read {name!r}, and that file "
                             f"{_not_a_file(f)}", fix)
        if _sha256(f) != digest:
            raise InputError(f"recipe {path!r} was made on {src.model}, whose code read {name!r}, and that file "
                             "changed since the recipe was saved (its sha256 differs from the recorded one)", fix)


def few_named(names: Iterable[str], most: int = 3) -> str:
    """'a, b, c and 4 more': a note or error naming recorded data files (an image folder read file by file records
    thousands) names the first `most`."""
    listed = list(names)
    more = len(listed) - most
    return ", ".join(listed[:most]) + (f" and {more} more" if more > 0 else "")


def check_inputs_read(src: ModelSource, read: Iterable[str], path: str) -> None:
    """--apply without MODEL: each data file the model's code read while it was rebuilt (`read`, FilesRead.paths) is
    one model_source.inputs records. A relative path in the model's code (open('data.csv')) reads the working
    directory's file: --apply run from another folder rebuilt the model on another file while the recorded one,
    unchanged, was said to be (review s31 rvfair)."""
    if src.inputs is None:  # a version 1 recipe recorded none: said in its notes
        return
    other = [name for name in read if name not in src.inputs]
    if other:
        raise InputError(f"recipe {path!r} was made on {src.model}, whose code now read {few_named(map(repr, other))}"
                         f", which the run that saved the recipe did not read (it read "
                         f"{few_named(map(repr, src.inputs)) or 'no data file'}): a relative path in the model's "
                         "code reads the working directory's file",
                         f"run --apply from the folder `accelopt optimize --save` ran in, pass MODEL to apply the "
                         f"recipe to the files as they are now (accelopt optimize --apply {path} {src.model}), or "
                         "rerun `accelopt optimize --save` for a new recipe")


def _defines(file: Path, func: str) -> bool:
    import re

    text = file.read_text(encoding="utf-8", errors="replace")
    return re.search(rf"^\s*(async\s+)?def\s+{re.escape(func)}\s*\(|^{re.escape(func)}\s*=", text, re.M) is not None


def _check_source(path: Path, src: Any) -> ModelSource | None:
    if src is None:
        return None
    if not isinstance(src, dict) or not isinstance(src.get("model"), str) or not src["model"]:
        raise _bad(path, "model_source is not an object with a model")
    stray = sorted(set(src) - set(_SOURCE_KEYS))
    if stray:
        raise unknown_fields(f"recipe {str(path)!r}: model_source", stray, sorted(_SOURCE_KEYS))
    inputs = src.get("inputs")
    if inputs is not None and (not isinstance(inputs, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in inputs.items())):
        raise _bad(path, f"model_source.inputs = {inputs!r} is not an object of file paths and their sha256 strings")
    for key, kind in _SOURCE_KEYS.items():
        v = src.get(key)
        if key == "inputs":
            continue
        if v is not None and (not isinstance(v, kind) or isinstance(v, bool)):
            raise _bad(path, f"model_source.{key} = {v!r} is not {_KIND_WORDS[kind]}")
        if isinstance(v, int) and v < 1:  # else refused as a --batch-size or --seq-len nobody typed
            raise _bad(path, f"model_source.{key} = {v!r} is not 1 or more")
    return ModelSource(**src)


def recipe_for(result: OptimizeResult, r: VariantResult) -> Recipe:
    chain = [(t, dict(r.params if len(r.techniques) == 1 else r.params.get(t, {}))) for t in r.techniques]
    q = r.quality.value if r.quality else None
    return Recipe(model=result.name, mode=result.mode, dtype=result.dtype, techniques=chain,
                  measured={"variant": r.name, "speedup": r.speedup, "quality": q, "metric": result.metric,
                            "device": result.device, "step_time_p50_s": r.step_time_p50_s,
                            "quality_tolerance": result.quality_tolerance,
                            "quality_tolerance_unit": result.quality_tolerance_unit,
                            # a typed --quality-tolerance bounded each output's drift too: --apply does the same
                            "output_tolerance": result.output_tolerance,
                            # a run cut short (Ctrl-C, --budget-min) chose among what it measured: --apply says so
                            "interrupted": result.interrupted,
                            "not_run": [v.name for v in result.variants if v.status == "not-run"]})


def cut_short(recipe: Recipe) -> str | None:
    """How the run that saved `recipe` was cut short, from its measured.interrupted / measured.not_run: 'was
    interrupted (Ctrl-C) before 9 techniques ran (compile, ...)'; None for a whole run or a recipe that does not say
    (written by hand or before accelopt recorded it). A Ctrl-C'd run's --save wrote the baseline, and --apply said
    'the run that saved it found no technique faster within its quality tolerance' of a run that had measured one."""
    not_run = recipe.measured.get("not_run")
    names = [str(n) for n in not_run] if isinstance(not_run, list) else []
    how = ("was interrupted (Ctrl-C)" if recipe.measured.get("interrupted") is True
           else "ran out of its time budget (--budget-min)" if names else None)
    if how is None:
        return None
    shown = ", ".join(names[:6]) + (f", ... ({len(names) - 6} more)" if len(names) > 6 else "")
    return how + (f" before {len(names)} technique{'s' if len(names) != 1 else ''} ran ({shown})" if names else "")


def recipe_tolerance(recipe: Recipe) -> tuple[float | None, str | None]:
    """(the --quality-tolerance the recipe was chosen under, its unit: "points" or "percent"); None for either
    not recorded (load_recipe refuses one recorded that is not valid): --apply under the default tolerance
    recommended the baseline instead of the recipe it reproduces, and one in another unit is not used."""
    unit = recipe.measured.get("quality_tolerance_unit")
    return _tolerance_value(recipe.measured.get("quality_tolerance")), (unit if unit in TOLERANCE_UNITS else None)


TOLERANCE_UNITS = ("points", "percent")


def _tolerance_value(tol: Any) -> float | None:
    """tol as a tolerance (a finite number >= 0), else None."""
    import math

    ok = not isinstance(tol, bool) and isinstance(tol, int | float) and math.isfinite(tol) and tol >= 0
    return float(tol) if ok else None


def _check_tolerance(path: Path, measured: dict[str, Any]) -> None:
    """A recorded tolerance that is not one (negative, not a number, an unknown unit) is a bad recipe: it was
    replaced by the default with the note 'the recipe records none'. Not recorded (absent or null) is fine."""
    tol, unit = measured.get("quality_tolerance"), measured.get("quality_tolerance_unit")
    if tol is not None and _tolerance_value(tol) is None:
        raise _bad(path, f"measured.quality_tolerance = {tol!r} is not a finite number >= 0")
    if unit is not None and unit not in TOLERANCE_UNITS:
        raise _bad(path, f"measured.quality_tolerance_unit = {unit!r} is not one of {', '.join(TOLERANCE_UNITS)}")
    if (bound := measured.get("output_tolerance")) is not None and not isinstance(bound, bool):
        raise _bad(path, f"measured.output_tolerance = {bound!r} is not true or false")


def recipe_output_tolerance(recipe: Recipe) -> bool:
    """Whether the run that saved `recipe` bounded each output's drift by its tolerance (a --quality-tolerance typed
    there, OptimizeResult.output_tolerance); False where it did not or does not say (written before it was
    recorded)."""
    return recipe.measured.get("output_tolerance") is True


def _bad(path: Path, problem: str) -> InputError:
    return InputError(f"recipe {str(path)!r}: {problem}",
                      "pass a recipe.json written by `accelopt optimize --save DIR` "
                      "(see the README's optimize section)")


def load_recipe(path: Path | str) -> Recipe:
    """Read and check a recipe file, or the recipe.json of a folder `--save DIR` wrote (`--apply DIR`); every
    problem is an InputError naming the field."""
    path = Path(path)
    if path_kind(path, "recipe") == "folder":  # `--save out` then `--apply out` was 'a folder, not a file'
        if path_kind(path / RECIPE_FILE, "recipe") == "missing":
            raise InputError(f"recipe folder {str(path)!r} holds no {RECIPE_FILE}",
                             f"pass the {RECIPE_FILE} (or the folder) that `accelopt optimize --save DIR` wrote")
        path = path / RECIPE_FILE
    data = read_user_json(path, "recipe", "pass a recipe.json written by `accelopt optimize --save DIR`")
    if not isinstance(data, dict):
        raise _bad(path, "the top level is not a JSON object")
    extra = sorted(set(data) - _RECIPE_KEYS)
    if extra:  # a misspelt 'dtype' or 'mode' was otherwise replaced by its default without a word
        raise unknown_fields(f"recipe {str(path)!r}", extra, sorted(_RECIPE_KEYS))
    version = data.get("accelopt_recipe")
    if version not in READS_RECIPE_VERSIONS or isinstance(version, bool):
        raise _bad(path, f"accelopt_recipe = {version!r}; this accelopt reads versions "
                         f"{' and '.join(map(str, READS_RECIPE_VERSIONS))}")
    mode, dtype = data.get("mode"), data.get("dtype", "fp32")
    if mode not in MODES:
        raise _bad(path, f"mode = {mode!r} is not one of {', '.join(MODES)}")
    if dtype not in ("fp32", "bf16", "fp16"):
        raise _bad(path, f"dtype = {dtype!r} is not fp32, bf16 or fp16")
    techs = data.get("techniques")
    if not isinstance(techs, list):
        raise _bad(path, "techniques is missing or not a list")
    if data.get("measured") is not None and not isinstance(data["measured"], dict):  # its tolerance was dropped
        raise _bad(path, f"measured = {data['measured']!r} is not an object (what the saving run measured: variant, "
                         "speedup, quality_tolerance, ...)")
    if not isinstance(data.get("model", ""), str):  # str(5) was taken as the model's name
        raise _bad(path, f"model = {data['model']!r} is not a string (the name of the model the recipe was made on)")
    gone = _check_model_file(path, data.get("model_file"))
    measured: dict[str, Any] = data["measured"] if isinstance(data.get("measured"), dict) else {}
    if not techs and measured.get("variant") != "baseline":  # would measure the baseline alone as the recipe
        raise _bad(path, "techniques is empty: the recipe applies nothing")
    _check_tolerance(path, measured)
    chain: list[tuple[str, dict[str, Any]]] = []
    for i, t in enumerate(techs):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise _bad(path, f"techniques[{i}] is not an object with a name")
        stray = sorted(set(t) - {"name", "params"})
        if stray:  # {"name": "compile", "param": {...}} ran compile with its defaults, the parameters dropped
            raise unknown_fields(f"recipe {str(path)!r}: techniques[{i}]", stray, ["name", "params"])
        params = t.get("params", {})
        if not isinstance(params, dict):
            raise _bad(path, f"techniques[{i}].params is not an object")
        check_step(i, t["name"], params, mode, f"recipe {str(path)!r}")
        if any(name == t["name"] for name, _ in chain):  # a variant applies each technique once
            raise _bad(path, f"techniques[{i}] names {t['name']} twice: a chain applies each technique once")
        chain.append((t["name"], params))
    source = _check_source(path, data.get("model_source"))
    notes = [gone] if gone else []
    rebuilt_notes: list[str] = []
    if version == 1 and source is not None and source.file is not None:
        rebuilt_notes.append(f"the recipe is of version 1, which recorded the sha256 of {source.file} alone: data "
                             "files the model's code reads (a CSV its factory loads) are not checked against the save "
                             "run's (rerun `accelopt optimize --save` for a recipe that records them)")
    return Recipe(model=str(data.get("model", "")), mode=mode, dtype=dtype, techniques=chain, measured=dict(measured),
                  source=source, notes=notes, rebuilt_notes=rebuilt_notes)


def _check_model_file(path: Path, name: Any) -> str | None:
    """model_file (the variant's weights save() wrote beside the recipe, or null): a string naming a file. A number
    was accepted without a word; it is refused. A file that is gone (the recipe copied without it) was refused too,
    though --apply rebuilds the model (MODEL or model_source) and never reads that file: it is said (returned, the
    note printed beside the result), not refused. None when the file is there or null."""
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise _bad(path, f"model_file = {name!r} is not a file name (the saved model beside the recipe, or null)")
    try:
        there = (path.parent / name).is_file()
    except OSError:  # a name past the file system's limit (ENAMETOOLONG) raised out of is_file: a traceback
        there = False
    if there:
        return None
    return (f"recipe {str(path)!r}: model_file = {name!r} is not a file beside the recipe (looked for "
            f"{str(path.parent / name)!r}); --apply rebuilds the model from MODEL or model_source and does not read "
            "it (to silence this, put the file back or set \"model_file\": null)")


FILE_SUFFIXES = (".json", ".pt", ".pth", ".onnx", ".safetensors", ".bin", ".toml", ".yaml", ".yml", ".txt",
                 ".csv", ".html")
"""Suffixes of the files a user might mean by a --save path (the recipe, a model, a report): such a missing path is
refused rather than created as a folder."""


def check_save_dir(folder: Path | str) -> Path:
    """The --save folder, created if missing; an error before minutes of measuring if it cannot be. A file, or a
    missing path named like one (`--save recipe.json` made a FOLDER recipe.json holding recipe.json and the model),
    is refused: --save names the folder both files go into."""
    folder = Path(folder)
    kind = path_kind(folder, "--save folder")
    fix = (f"pass a folder path, e.g. --save {str(folder.with_suffix('')) or 'saved'!r}: optimize writes "
           f"{RECIPE_FILE} and the model (model-*.pt or .onnx) into it")
    if kind not in ("folder", "missing"):
        raise InputError(f"--save {str(folder)!r} is a file, not a folder", fix)
    if kind == "missing" and folder.suffix.lower() in FILE_SUFFIXES:
        raise InputError(f"--save {str(folder)!r} is named like a file ({folder.suffix}), but --save names the folder "
                         "the recipe and the model are written into: it would be created as a folder", fix)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".accelopt-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise InputError(f"--save {str(folder)!r} is not writable: {e.strerror or e}",
                         "choose a folder you can write to") from None
    return folder


def check_save_free(folder: Path | str) -> None:
    """The --save folder holds no earlier save (recipe.json, model-*.pt / .onnx): an InputError before anything is
    measured. A second `optimize --save DIR` replaced the first run's recipe and model without a word (and left the
    first model beside the second recipe when the recommendations differed)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    earlier = sorted(p.name for p in folder.iterdir()
                     if p.name == RECIPE_FILE or (p.name.startswith("model-") and p.suffix in (".pt", ".onnx")))
    if earlier:
        raise InputError(f"--save {str(folder)!r} already holds an earlier save ({', '.join(earlier)}): this run "
                         "would replace it", f"pass a new folder (e.g. {str(folder.with_name(folder.name + '-2'))!r}), "
                         "or move those files away first")


def save(folder: Path | str, result: OptimizeResult, variants: dict[str, Variant],
         original: Any = None, source: ModelSource | None = None) -> tuple[Path, Path | None]:
    """Write the recommended variant's model (via Variant.save) and its recipe into `folder`;
    (recipe path, model path or None where the variant cannot be saved). `original`: the user's model, named in the
    note on how to load a structurally pruned one. Each file is written whole beside its place and then moved there,
    so a failure (an AcceloptError naming the file) leaves what the folder held as it was. `source`: model_source()
    of the run's MODEL, recorded so that `--apply RECIPE` rebuilds the model without MODEL."""
    folder = check_save_dir(folder)
    rec = result.recommendation
    name = rec.name if rec is not None else "baseline"
    r = result.get(name) or result.baseline
    v = variants.get(r.name)
    model_path = _save_model(folder, v) if v is not None and v.save is not None else None
    recipe = recipe_for(result, r).to_dict()
    recipe["model_file"] = model_path.name if model_path else None
    if source is not None:
        recipe["model_source"] = source.to_dict()
    path = folder / RECIPE_FILE
    _write_whole(path, lambda p: p.write_text(json.dumps(recipe, indent=2) + "\n", encoding="utf-8"))
    if r.name == "baseline":
        result.notes.append(f"the recommendation is the baseline: {path.name} lists no technique (--apply measures "
                            "the model as it is)")
    if model_path is not None and model_path.suffix == ".pt" and v is not None and is_structural(v.model):
        cls = type(original).__name__ if original is not None else "YourModel"
        result.notes.append(f"{model_path.name} holds pruned layer widths, which do not fit {cls} as built: load it "
                            "with " + PRUNED_LOAD.format(cls=cls, path=str(model_path)))
    elif model_path is not None and model_path.suffix == ".pt" and v is not None:
        _note_quantized_load(result, model_path, v, original)
    if model_path is not None and v is not None and v.made_state and r.quality and r.quality.train_steps:
        made = "the weights as given" if r.name == "baseline" else f"the weights as {r.name} made them"
        result.notes.append(f"{model_path.name} holds {made}, before the run trained them; "
                            f"its {result.metric} in the table was scored after {r.quality.train_steps} training steps "
                            "from them (--quality-steps; --apply takes the same steps)")
    result.recipe_path = str(path)
    result.saved_model_path = str(model_path) if model_path else None
    return path, model_path


def _note_quantized_load(result: OptimizeResult, model_path: Path, v: Variant, original: Any) -> None:
    """How to load a saved state dict of torchao tensors (int8-*, int4, float8): `YourModel().load_state_dict(
    torch.load(path))`, as for any other save, failed (weights_only refuses Int8Tensor; without it, copying one into
    the fp32 Parameter raised 'Parameter' object has no attribute 'tensor_data_names') and nothing said how."""
    kinds = subclass_tensor_types(v.model)
    if kinds:
        cls = type(original).__name__ if original is not None else "YourModel"
        result.notes.append(f"{model_path.name} holds quantized tensors ({', '.join(kinds)}), which a plain "
                            f"load_state_dict cannot copy into {cls}'s float parameters: load it, with torchao "
                            "installed, with " + QUANTIZED_LOAD.format(cls=cls, path=str(model_path)))


def _save_model(folder: Path, v: Variant) -> Path:
    """v.save into a scratch folder inside `folder`, then moved into place as model-VARIANT.pt/.onnx (nothing there
    is replaced by half a file, or by nothing at all when the save fails)."""
    import shutil
    import tempfile

    assert v.save is not None
    scratch = Path(tempfile.mkdtemp(prefix=".accelopt-save-", dir=folder))
    try:
        try:
            with tensors_put_back(v.made_state):  # train mode: the weights the technique made, not the run's
                written = v.save(scratch)
        except Exception as e:  # a model torch.save / the exporter cannot write: the run's result is kept
            raise AcceloptError(f"--save could not write the {v.technique} model into {str(folder)!r}: "
                                f"{type(e).__name__}: {e}",
                                "the measurements above are complete; rerun with --only naming another technique "
                                "to save that one, or report this model to accelopt") from e
        # named after the whole variant: a chain's save is its last technique's, which names the file after
        # itself (distill+onnx-fp32 was saved as model-onnx-fp32.onnx, the distillation not in the name)
        final = folder / f"model-{v.technique}{written.suffix}"
        _write_whole(final, lambda p: shutil.move(str(written), str(p)))
        return final
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_whole(path: Path, write: Callable[[Path], object]) -> None:
    """write(tmp) beside `path`, then os.replace onto it; an OSError is an AcceloptError naming the file."""
    import os

    tmp = path.with_name(f".{path.name}.partial")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise AcceloptError(f"--save could not write {str(path)!r}: {e.strerror or e}",
                            "the measurements above are complete; choose a --save folder with free space you can "
                            "write to and rerun") from None
