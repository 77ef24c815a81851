"""The contract between the `optimize` runner and its techniques.

A technique (one module per technique family in this package) is a `Technique` subclass decorated
with `@register`. The runner asks each one whether it applies to the user's model here
(`not_applicable`), and if it does, asks it for a `Variant`: a transformed copy of the model, ready
to run. The runner then times every variant with the same discipline (warm-up, synchronized,
uninstrumented, A/B interleaved against the baseline), scores its quality on the bundle's held-out
batches, and compares. A technique never mutates the baseline bundle's model: it deep-copies first.

Technique modules are found by `all_techniques()`, which imports every module of this package, so
adding a technique is adding a module; no list to edit.
"""

from __future__ import annotations

import abc
import contextvars
import importlib
import math
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from accelopt.errors import InputError, unknown_fields, unknown_name
from accelopt.workload.userfile import ModelBundle

__all__ = ["MODES", "OptionSpec", "Target", "Technique", "Variant", "all_techniques", "get_technique", "register"]

MODES = ("train", "inference")


@dataclass(frozen=True, kw_only=True)
class Target:
    """Where and how the variants run."""

    mode: str
    """"train" (a whole optimizer step) or "inference" (a forward pass, no autograd)."""
    device: str
    """torch device string: "cpu", "cuda", "cuda:1", ..."""
    dtype: str = "fp32"
    """The baseline's compute dtype (fp32 | bf16 | fp16)."""
    budget_s: float = 60.0
    """Wall-clock seconds a technique may spend preparing its variant (fine-tuning, distillation,
    autotuning); a technique that needs more says so in its notes and stops at the budget."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"mode {self.mode!r} is not one of {', '.join(MODES)}", "use --mode train or inference")
        if not self.budget_s > 0:
            raise InputError(f"budget {self.budget_s!r} s is not positive", "give a positive time budget")

    @property
    def device_type(self) -> str:
        return self.device.split(":")[0]

    @property
    def on_cuda(self) -> bool:
        return self.device_type == "cuda"

    def cuda_capability(self) -> tuple[int, int] | None:
        """(major, minor) compute capability of the CUDA device, None off CUDA."""
        if not self.on_cuda:
            return None
        import torch

        return tuple(torch.cuda.get_device_capability(self.device))  # type: ignore[return-value]


@dataclass(kw_only=True)
class Variant:
    """A transformed model, ready for the runner to time and score.

    `forward(*inputs)` is what the runner times in inference mode and what it scores quality with
    (outputs compared with the bundle's metric, and against the baseline's outputs). `train_step`
    is one whole training step on one (inputs, targets) batch (zero_grad, forward, loss, backward,
    optimizer step), returning the loss; None for an inference-only variant.
    """

    technique: str
    """The registered name of the technique that made it (e.g. "int8-dynamic")."""
    model: Any
    """The transformed torch.nn.Module, or None when it runs outside torch (e.g. ONNX Runtime)."""
    forward: Callable[..., Any]
    train_step: Callable[[Any, Any], Any] | None = None
    prepare_inputs: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
    """Applied to each batch's inputs (already on the device) before `forward`/`train_step`, e.g.
    channels_last; its cost is inside the timed step."""
    samples_per_step: int | None = None
    """Samples one timed step processes when it differs from the bundle's batch size (gradient
    accumulation); None means the bundle's batch size."""
    setup_s: float = 0.0
    """Seconds spent making the variant (quantizing, pruning + fine-tuning, compiling, distilling),
    reported apart from step time."""
    size_bytes: int | None = None
    """The variant's serialized size on disk (state dict or ONNX file), None if not measured."""
    params: dict[str, Any] = field(default_factory=dict)
    """Everything needed to reproduce it (written to the recipe file): plain JSON/TOML values only."""
    notes: list[str] = field(default_factory=list)
    """What a user must know: assumptions, defaults used, what was measured and how."""
    save: Callable[[Path], Path] | None = None
    """Write the optimized model into a folder; returns the file written."""
    made_state: list[tuple[Any, Any]] | None = None
    """Train mode: (tensor, CPU copy) for each of the model's parameters and buffers as the technique left them,
    taken by the runner before its training steps (quality steps, timing) and put back around `save`, so the file
    holds the model the technique made, not one trained for however many steps the timing took."""
    trained_steps: int = 0
    """Training steps the technique took on batches() in making the variant (prune-structured's fine-tune, distill's
    student), before the runner's own quality steps: train mode scores the baseline after as many more steps too
    (Quality.same_budget_baseline), or an untrained model's loss 'improved' by the training alone."""
    train_optimizer: tuple[str, Callable[[Any], Any]] | None = None
    """(its words, e.g. 'AdamW lr 0.001'; a factory building it for a model) the optimizer of those trained_steps when
    it is not the bundle's (distill's students): the same-budget baseline trains its extra steps with the same one,
    so the two differ by the technique alone. None: the bundle's optimizer, as the baseline's."""
    batches: Callable[[], Iterator[tuple[Any, Any]]] | None = None
    """A replacement batch stream (input-pipeline techniques: workers, pinned memory, non-blocking copies);
    None means the bundle's `batches`. Fetching from it is inside the timed step."""


@dataclass(frozen=True)
class OptionSpec:
    """One recipe option of a technique: its default, type, bounds (numbers), allowed values (text) or item type
    (lists)."""

    default: Any
    kind: type
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    items: type | None = None
    """For a list option: the type of its items (positive finite numbers)."""

    def read(self, options: dict[str, Any], name: str) -> Any:
        """options[name] (the default when absent), checked: a bad value is an InputError naming it and the fix."""
        value = options.get(name, self.default)
        if value is None and self.default is None:
            return None
        ok = isinstance(value, self.kind) and (self.kind is bool or not isinstance(value, bool))
        try:  # a JSON integer past float's range (10**400) overflows float(); refused like any bad value
            if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
                value, ok = float(value), True
            if ok and self.kind is float and not math.isfinite(value):  # NaN passes both bound checks below
                ok = False
            if ok and self.items is not None:
                ok = all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0
                         for x in value)
        except OverflowError:
            ok = False
        if ok and self.lo is not None and value < self.lo:
            ok = False
        if ok and self.hi is not None and value > self.hi:
            ok = False
        if ok and self.choices and value not in self.choices:
            ok = False
        if not ok:
            raise InputError(f"option {name} = {value!r} is not {self.describe()}",
                             f"give {name} as {self.describe()} (default {self.default!r})")
        return value

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.items is not None:
            return f"a list of positive {self.items.__name__}s"
        bounds = f" in [{self.lo}, {self.hi}]" if self.lo is not None or self.hi is not None else ""
        return f"{_KIND_WORDS.get(self.kind, self.kind.__name__)}{bounds}"


_KIND_WORDS = {int: "an integer", float: "a number", bool: "true or false", str: "text"}


def check_step(i: int, name: str, params: dict[str, Any], mode: str, where: str) -> None:
    """Recipe step `i` (technique `name` with its options), before anything is measured: a technique of the other
    mode, an option the technique does not read (a misspelt name would silently run the default) or a bad value is
    an InputError naming `where` (the recipe file, or 'recipe') and the step."""
    tech = technique_named(name, f"{where}: techniques[{i}]")
    try:
        tech.check_options(params)
    except InputError as e:
        raise InputError(f"{where}: techniques[{i}] ({name}): {e.problem}",
                         f"{e.fix} (see the README's optimize section)") from None
    if mode not in tech.modes:
        raise InputError(f"{where}: techniques[{i}] ({name}) applies to --mode {' and '.join(tech.modes)} only, and "
                         f"the recipe runs --mode {mode}", f"leave {name} out of the recipe, or run it with --mode "
                         f"{tech.modes[0]}")


class Technique(abc.ABC):
    """One optimization. Subclasses set the class attributes and implement the two methods."""

    name: ClassVar[str]
    """Registered name, used by --only/--skip and in recipes: lowercase, dashes (e.g. "int8-dynamic")."""
    family: ClassVar[str]
    """mixed-precision | compilation | memory-layout | quantization | pruning | distillation |
    training-loop | power."""
    modes: ClassVar[tuple[str, ...]]
    """Modes it applies to ("train", "inference" or both)."""
    changes: ClassVar[str]
    """One line: what it changes in the model or the step."""
    risks: ClassVar[str]
    """One line: what it risks (quality, numerics, portability)."""
    lossy: ClassVar[bool] = False
    """True when it changes what the model computes beyond floating-point rounding (quantized weights or
    activations, removed weights, a retrained student): `optimize` recommends it only when its quality was measured
    on held-out data (the bundle's eval_batches) and kept within the tolerance."""
    option_specs: ClassVar[dict[str, OptionSpec]] = {}
    """The recipe options `apply` reads, by name, with their default and bounds: a recipe is checked against them
    when it is loaded (an unknown name or a bad value is an error before anything is measured)."""
    recorded_names: ClassVar[tuple[str, ...]] = ()
    """Names the variant writes into its params as a record of what was done or measured (sparsity reached,
    parameter counts...): a recipe written by --save carries them back, and `apply` does not read them."""
    composable: ClassVar[bool] = False
    """True when the whole effect lives in `Variant.model` (+ `prepare_inputs`), so the runner may apply
    another technique on top of it (a bundle whose model is this variant's model) to measure the pair,
    e.g. bf16 then compile, int8 then compile."""
    wraps_model: ClassVar[bool] = False
    """True when the variant's model is one of our wrappers around the user's module (bf16's autocast wrapper,
    optimize.steps.wrapper_name): the runner pairs it before no technique whose `takes_wrapped_model` is False."""
    takes_wrapped_model: ClassVar[bool] = True
    """False when it refuses a model another technique wrapped (the onnx-* exports, from the user's fp32 module):
    a pair that chains a wrapping technique before it would only be listed as not-applicable."""
    made_for_compile: ClassVar[bool] = False
    """True when the technique's kernels are meant to run under torch.compile (torchao's quantization configs:
    its README quantizes, then compiles): on a CUDA target optimize also measures it followed by `compile` when
    it lost time alone (runner._Run.compile_pairs)."""

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        """Every option is one `apply` reads (or one a variant records) and its value is in range: InputError."""
        unknown = sorted(set(options) - set(cls.option_specs) - set(cls.recorded_names))
        if unknown and not cls.option_specs:
            raise InputError(f"{cls.name} has no option {', '.join(repr(n) for n in unknown)}",
                             f"remove it: {cls.name} takes no options")
        if unknown:  # the option meant for a misspelt one ('sparsty' -> 'sparsity'), then all of them
            raise unknown_fields(f"{cls.name}'s params", unknown, list(cls.option_specs))
        for name, spec in cls.option_specs.items():
            spec.read(options, name)

    def opt(self, options: dict[str, Any], name: str) -> Any:
        """The option `name` from the recipe's params (its default when absent), checked by its spec."""
        return self.option_specs[name].read(options, name)

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        """Why it does not apply to this model here (with the fix, if any); None when it applies."""
        if target.mode not in self.modes:
            return f"{self.name} applies to {' and '.join(self.modes)} only, not {target.mode}"
        return None

    def check_bundle(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> None:
        """An InputError for a bad input that only this technique reads (distill's meta['student'], a recipe option
        out of this model's range): the runner calls it before anything is measured, with the recipe's options
        (empty for a run without one), so the run stops at once, not after the variants before it."""
        return None

    @abc.abstractmethod
    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        """Make the variant from a deep copy of `bundle.model`; `options` are the recipe's params
        for this technique (empty for the defaults). Raises accelopt.errors.InputError with a fix on
        a bad option, accelopt.errors.UnsupportedError when it cannot run here."""


_REGISTRY: dict[str, type[Technique]] = {}


def register(cls: type[Technique]) -> type[Technique]:
    """Class decorator: make a technique known to the runner under `cls.name`."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise RuntimeError(f"two techniques named {cls.name!r}: {_REGISTRY[cls.name]} and {cls}")
    _REGISTRY[cls.name] = cls
    return cls


def _import_all() -> None:
    import accelopt.optimize as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"accelopt.optimize.{info.name}")


def all_techniques() -> dict[str, type[Technique]]:
    """Every registered technique by name, after importing every module of this package."""
    _import_all()
    return dict(sorted(_REGISTRY.items()))


def technique_named(name: str, where: str = "") -> type[Technique]:
    """The technique class called `name`; an unknown name is an UnknownNameError prefixed with `where` (the flag
    or the recipe step) whose fix offers the close names or lists the known ones. The one name check of --only,
    --skip, recipe files and recipes given to the library."""
    known = all_techniques()
    if name not in known:
        err = unknown_name("technique", name, list(known))
        raise type(err)(f"{where}: {err.problem}" if where else err.problem, err.fix)
    return known[name]


def technique_families() -> dict[str, list[str]]:
    """Each family's technique names (Technique.family), the families and their techniques in name order."""
    out: dict[str, list[str]] = {}
    for name, cls in all_techniques().items():
        out.setdefault(cls.family, []).append(name)
    return dict(sorted(out.items()))


def expand_families(names: list[str] | None, flag: str, mode: str) -> list[str] | None:
    """--only/--skip names with each family name (`quantization`, as `optimize --help` groups the techniques) replaced
    by its techniques; technique names kept as given, each once. For --only, a family's techniques of the other mode
    only are left out (`--only training-loop` at inference keeps input-pipeline): a family with none for `mode` is an
    InputError. An unknown name is technique_named's error, its suggestions including the family names: `--only
    quantization` read 'unknown technique' and offered activation-checkpointing."""
    if names is None:
        return None
    known, families = all_techniques(), technique_families()
    out: list[str] = []
    for n in names:
        if n in known or n not in families:
            if n not in known:
                err = unknown_name("technique", n, [*known, *families])
                raise type(err)(f"{flag}: {err.problem}", f"{err.fix} (a family's name stands for all its "
                                                          "techniques: `accelopt optimize --help` lists them)")
            out.append(n)
            continue
        members = families[n]
        if flag == "--only":
            members = [m for m in members if mode in known[m].modes]
            if not members:
                other = "train" if mode == "inference" else "inference"
                raise InputError(f"--only {n}: the {n} techniques ({', '.join(families[n])}) apply to --mode {other} "
                                 f"only, and this run is --mode {mode}",
                                 f"pass --mode {other}, or leave {n} out of --only")
        out.extend(members)
    return list(dict.fromkeys(out))


_ASKING: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("accelopt_techniques_asking",
                                                                        default=frozenset())
"""Techniques whose applicability applicable_of is deciding now in this thread (a reason asking about one that asks
back): a value of this context, not a module-wide set that another thread asking at the same time shared."""


def applicable_of(names: Sequence[str], bundle: ModelBundle, target: Target) -> list[str]:
    """Those of `names` that apply to `bundle` on `target` (each one's own not_applicable): what a not-applicable
    reason may point at instead. Reasons pointed at techniques that refused in turn: a model with neither nn.Linear
    nor a convolution was sent from int8-dynamic to onnx-int8, from onnx-int8 to onnx-int8-static and from
    onnx-int8-static back to onnx-int8, each not applicable. A name already being asked about (a cycle) counts as
    not applicable."""
    out: list[str] = []
    for name in names:
        asking = _ASKING.get()
        if name in asking:
            continue
        token = _ASKING.set(asking | {name})
        try:
            if technique_named(name)().not_applicable(bundle, target) is None:
                out.append(name)
        finally:
            _ASKING.reset(token)
    return out


def get_technique(name: str) -> Technique:
    """A technique by name; an unknown name is an error listing the known ones."""
    return technique_named(name)()
