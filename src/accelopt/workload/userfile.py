"""The contract between accelopt and a user's own model: a factory returning a `ModelBundle`.

A user writes a Python file with a function (the *factory*) that builds the model, a batch
iterator, a loss and (optionally) an optimizer, and returns them as a `ModelBundle`. accelopt
loads it with `load_user_factory("path/to/file.py:factory")`. See examples/my_model.py for a
copyable example.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelopt.errors import InfeasibleError, InputError, close_matches, is_out_of_memory
from accelopt.userio import path_kind, read_user_text

__all__ = ["METRIC_HIGHER_IS_BETTER", "ModelBundle", "load_user_factory"]

FACTORY_SEED = 0
"""The seed of torch's default generator while a factory runs (load_user_factory). torch seeds that generator from
/dev/urandom at start-up (pytorch aten/src/ATen/CPUGeneratorImpl.cpp: getDefaultCPUGenerator() seeds it with
c10::detail::getNonDeterministicRandom(); torch.initial_seed() differs between processes), so a factory
building nn.Linear/nn.LSTM without seeding got other weights every run: two
`optimize --mode train` runs of one LSTM language model scored baseline held-out losses 3.917285 and 3.917148. A factory
that calls torch.manual_seed itself keeps its own seed."""


def _seeded_call(factory: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """factory(**kwargs) with torch's generators at FACTORY_SEED (torch.manual_seed: CPU and CUDA, so a model built on
    the GPU is reproducible too), the caller's random state put back after: the CPU generator's always, CUDA's where
    CUDA was initialized before the call."""
    with seeded():
        return factory(**kwargs)


@contextlib.contextmanager
def seeded() -> Iterator[None]:
    """torch's generators at FACTORY_SEED inside, the caller's random state put back after (see _seeded_call). A zoo
    model and a Hugging Face config's random weights are built in it too: they drew other weights every run, so
    `optimize --apply` of a recipe saved on `mlp` or a config.json rebuilt another model than the one saved (two
    builds of causal.json: first weights summing 0.0280 and 0.0159) while its note said the same file."""
    import torch

    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(FACTORY_SEED)
        yield


# The named quality metrics of ModelBundle.metric and which way is better.
METRIC_HIGHER_IS_BETTER: dict[str, bool] = {"accuracy": True, "loss": False}


def _default_optimizer(params: Iterable[Any]) -> Any:
    import torch

    return torch.optim.AdamW(params, lr=1e-4)


def refuse_sparse_for_default(name: str, model: Any) -> None:
    """An InputError before the step when the model makes sparse gradients (nn.Embedding / EmbeddingBag with
    sparse=True) and no make_optimizer was given: the default AdamW refuses them at its first step, reported as the
    model's own error ('Adam does not support sparse gradients') with a fix about shapes and dtypes."""
    from torch import nn

    sparse = [n for n, m in model.named_modules() if isinstance(m, nn.Embedding | nn.EmbeddingBag) and m.sparse]
    if sparse:
        raise InputError(f"model {name!r}: {sparse[0] or 'the model'!r} is an embedding with sparse=True, whose "
                         "sparse gradients accelopt's default optimizer (AdamW) does not take",
                         "give the factory make_optimizer=lambda p: torch.optim.SGD(p, lr=0.1) (SGD takes sparse "
                         "gradients; torch.optim.SparseAdam takes only sparse ones), or build the embedding with "
                         "sparse=False")


def refuse_closure_optimizer(name: str, opt: Any) -> None:
    """An InputError naming the model and the fix when `opt.step` requires a closure (torch.optim.LBFGS:
    step(closure), no default). Its step re-evaluates the loss, forward and backward, inside the optimizer step (up
    to max_iter = 20 times for LBFGS), so a training step cannot be timed as forward, backward and optimizer.step()
    phases, and `optimizer.step()` without the closure failed with a generic 'the model raised TypeError'."""
    step = getattr(opt, "step", None)
    if step is None:
        return
    try:
        closure = inspect.signature(step).parameters.get("closure")
    except (TypeError, ValueError):  # a builtin or C step: no signature to read
        return
    if closure is None or closure.default is not inspect.Parameter.empty:
        return
    raise InputError(f"model {name!r}: its optimizer {type(opt).__name__} needs step(closure), which runs forward "
                     "and backward again inside the optimizer step; profile and optimize time a step as forward, "
                     "backward and optimizer.step() with no closure",
                     "give make_optimizer a first-order optimizer whose step() takes no closure, e.g. lambda p: "
                     "torch.optim.Adam(p, lr=1e-3) (the model's forward, backward and memory are measured the "
                     "same), or --mode inference; time the LBFGS loop with your own code")


@dataclass(kw_only=True)
class ModelBundle:
    """Everything accelopt needs to run one real step of a model.

    Fields:
        name: a short label used in reports.
        model: the `torch.nn.Module`.
        batches: a zero-argument callable returning a fresh iterator of `(inputs, targets)`;
            `inputs` is a Tensor or a tuple of Tensors, called as `model(*inputs)`.
        loss_fn: `loss_fn(output, targets) -> scalar Tensor`.
        make_optimizer: `make_optimizer(model.parameters()) -> torch.optim.Optimizer`;
            None means AdamW(lr=1e-4). One whose step() requires a closure (LBFGS) is refused
            (refuse_closure_optimizer).
        batch_size: samples per batch (must match what `batches` yields).
        meta: free facts, e.g. `seq_len`, `tokens_per_batch`, `samples_per_batch`, `source`; `factory` (the
            'file.py:function' it came from) and `size_arguments` (which of batch_size, seq_len it takes) are set
            by load_user_factory.
        eval_batches: optional zero-argument callable returning a fresh iterator of held-out
            `(inputs, targets)`; without it, quality cannot be measured (`optimize` says so).
        metric: how quality is scored on `eval_batches`: "accuracy" (argmax of the scores' last
            dimension == targets, the scores being the output, a tuple's first item or a dict's "logits" key;
            a fraction 0-1, higher is better), "loss" (mean `loss_fn`, lower is better; `loss_fn` is a mean
            per target element, each batch weighted by its target elements, padding
            excluded where the loss says which: the `ignore_index` of nn.CrossEntropyLoss / nn.NLLLoss, of
            F.cross_entropy, or of a functools.partial of it), or a callable `metric(outputs, targets) -> float`
            (handed the model's output as it returns it, a tuple or dict included) averaged over batches,
            weighted by batch size, with `higher_is_better` saying which way is better.
        higher_is_better: required with a callable metric; implied by "accuracy" (True) and "loss" (False).
    """

    name: str
    model: Any
    batches: Callable[[], Iterator[tuple[Any, Any]]]
    loss_fn: Callable[[Any, Any], Any]
    make_optimizer: Callable[[Iterable[Any]], Any] | None = None
    batch_size: int = 1
    meta: dict[str, Any] = field(default_factory=dict)
    eval_batches: Callable[[], Iterator[tuple[Any, Any]]] | None = None
    metric: str | Callable[[Any, Any], float] = "loss"
    higher_is_better: bool | None = None

    def __post_init__(self) -> None:
        import torch

        if not isinstance(self.name, str) or not self.name:
            raise InputError(f"ModelBundle.name = {self.name!r} must be a non-empty string", "give the model a name")
        if isinstance(self.model, type) and issubclass(self.model, torch.nn.Module):  # read 'is a type'
            name = self.model.__name__
            raise InputError(f"ModelBundle.model is the class {name}, not an instance of it",
                             f"pass an instance: model={name}(...)")
        if not isinstance(self.model, torch.nn.Module):
            raise InputError(f"ModelBundle.model is a {type(self.model).__name__}, not a torch.nn.Module",
                             "pass the nn.Module instance itself")
        for f in ("batches", "loss_fn"):
            if not callable(getattr(self, f)):
                raise InputError(f"ModelBundle.{f} is not callable", f"pass a function as {f}")
        if self.make_optimizer is not None and not callable(self.make_optimizer):
            raise InputError("ModelBundle.make_optimizer is not callable",
                             "pass a function params -> Optimizer, or None for AdamW")
        if not isinstance(self.batch_size, int) or isinstance(self.batch_size, bool) or self.batch_size < 1:
            raise InputError(f"ModelBundle.batch_size = {self.batch_size!r} must be a positive integer",
                             "set batch_size to the samples per batch")
        self.meta.setdefault("samples_per_batch", self.batch_size)
        self._check_eval()

    def _check_eval(self) -> None:
        if self.eval_batches is not None and not callable(self.eval_batches):
            raise InputError("ModelBundle.eval_batches is not callable",
                             "pass a function returning an iterator of held-out (inputs, targets), or None")
        if isinstance(self.metric, str):
            implied = METRIC_HIGHER_IS_BETTER.get(self.metric)
            if implied is None:
                raise InputError(f"ModelBundle.metric = {self.metric!r} is not a known metric",
                                 f"use one of {', '.join(sorted(METRIC_HIGHER_IS_BETTER))}, or a callable "
                                 "metric(outputs, targets) -> float with higher_is_better")
            if self.higher_is_better is not None and self.higher_is_better != implied:
                raise InputError(f"ModelBundle.higher_is_better = {self.higher_is_better} contradicts "
                                 f"metric {self.metric!r}", "leave higher_is_better unset for a named metric")
            self.higher_is_better = implied
        elif not callable(self.metric):
            raise InputError(f"ModelBundle.metric is a {type(self.metric).__name__}",
                             "use 'accuracy', 'loss' or a callable metric(outputs, targets) -> float")
        elif not isinstance(self.higher_is_better, bool):
            raise InputError("ModelBundle.metric is a callable but higher_is_better is not set",
                             "set higher_is_better=True (e.g. accuracy) or False (e.g. loss)")

    @property
    def metric_name(self) -> str:
        return self.metric if isinstance(self.metric, str) else getattr(self.metric, "__name__", "metric")

    def optimizer(self) -> Any:
        """A fresh optimizer over the model's parameters; one whose step() requires a closure is refused
        (refuse_closure_optimizer)."""
        if self.make_optimizer is None:
            refuse_sparse_for_default(self.name, self.model)
        make = self.make_optimizer or _default_optimizer
        opt = make(self.model.parameters())
        refuse_closure_optimizer(self.name, opt)
        return opt

    def scalar_loss(self, loss: Any) -> Any:
        """`loss` (what loss_fn returned) when it is a scalar Tensor, else an InputError naming the model and the fix
        (backward() of anything else fails inside torch: 'grad can be implicitly created only for scalar outputs')."""
        import torch

        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            shape = f" {loss.shape}" if hasattr(loss, "shape") else ""  # a float or a tuple has none
            raise InputError(f"model {self.name!r}: loss_fn returned {type(loss).__name__}{shape}, not a scalar "
                             "Tensor",
                             "make loss_fn return a 0-dim tensor (e.g. reduce with .mean())")
        return loss

    def scalar_metric(self, value: Any) -> float:
        """What a callable metric returned, as a float: a real number or a one-element Tensor/array; else an
        InputError naming the metric. float() of anything else raised inside optimize's scoring and was blamed on the
        model ("model 'm' raised ValueError scoring baseline ...: could not convert string to float: 'high'")."""
        import numbers

        if isinstance(value, numbers.Real):  # int, float, bool, numpy scalars
            return float(value)
        size = getattr(value, "numel", None)
        size = size() if callable(size) else getattr(value, "size", None)
        if size == 1 and hasattr(value, "item"):  # a one-element Tensor or numpy array
            return float(value.item())
        shape = getattr(value, "shape", None)
        text = repr(value)
        what = f"of shape {tuple(shape)}" if shape is not None else text[:60] + ("..." if len(text) > 60 else "")
        raise InputError(f"the metric {self.metric_name} of model {self.name!r} returned {type(value).__name__} "
                         f"{what}, not one number",
                         "make the metric return one number for the batch, e.g. "
                         "(out.argmax(-1) == y).float().mean().item()")

    def first_batch(self) -> tuple[tuple[Any, ...], Any]:
        """The first `(inputs, targets)` of a fresh iterator, inputs normalized to a tuple."""
        try:
            item = next(iter(self.batches()))
        except StopIteration:
            raise InputError(f"model {self.name!r}: batches() yielded nothing",
                             "make batches() return an iterator with at least one (inputs, targets)") from None
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise InputError(f"model {self.name!r}: batches() yielded a {type(item).__name__}, "
                             "not an (inputs, targets) pair",
                             "yield a 2-tuple: inputs (Tensor or tuple of Tensors) and targets")
        inputs, targets = item
        return as_tuple(inputs), targets

    def is_short_batch(self, item: Any) -> bool:
        """`item` is an (inputs, targets) pair whose samples are known and fewer than batch_size (a ragged last
        batch, which check_batch_rows lets through after a full first one)."""
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            return False
        rows, _ = _batch_rows(as_tuple(item[0]), item[1], self.batch_size)
        return rows is not None and rows < self.batch_size

    def param_count(self) -> int:
        return sum(int(p.numel()) for p in self.model.parameters())

    def check_batch_rows(self, scan: int = 16) -> None:
        """InputError when one of the first `scan` training batches holds more samples than `batch_size`, or the
        first one fewer: samples/s, micro-batch sizes and per-sample figures are counted from batch_size. A batch's
        samples: the size every tensor of it (inputs and targets, 0-d ones aside) shares along dim 0 — unknown, so
        passed, when they disagree or when some tensor has batch_size along dim 1 (a (T, B) sequence-first
        layout). First, batches and eval_batches must each return a fresh iterator on every call
        (check_fresh_iterator)."""
        check_fresh_iterator(self, "batches", self.batches)
        if self.eval_batches is not None:
            check_fresh_iterator(self, "eval_batches", self.eval_batches)
        for i, item in enumerate(_first_items(self.batches, scan)):
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                return  # first_batch() names this one
            rows, shapes = _batch_rows(as_tuple(item[0]), item[1], self.batch_size)
            if rows is None or rows == self.batch_size or (rows < self.batch_size and i > 0):  # a short last batch
                continue
            where = self.meta.get("factory") or f"model {self.name!r}"
            more = "more" if rows > self.batch_size else "fewer"
            raise InputError(f"{where}: training batch {i} holds {rows} samples (dim 0 of {shapes}), {more} than "
                             f"the ModelBundle's batch_size {self.batch_size}; samples/s and per-sample figures "
                             "would be counted for the wrong batch",
                             f"set batch_size={rows} in the ModelBundle, or make batches() yield {self.batch_size} "
                             "samples per batch")


def check_fresh_iterator(bundle: ModelBundle, source: str, make: Callable[[], Any]) -> None:
    """InputError when two calls of `make` (the bundle's batches or eval_batches) return the same iterator, made once
    (`it = iter(data)` in the factory, then `batches=lambda: it`): its first pass consumed it, and profile stopped with
    'batches() yielded nothing' after it had yielded 3 batches. A list, a DataLoader or a new generator per call is
    iterated afresh and passes, and so does one object whose __iter__ starts it over (a hand-written iterator class
    that resets its position there: every run calls iter() on what batches() returns), _restarts. An error in the
    user's function is left to the run that calls it."""
    try:
        first, second = make(), make()
        same = first is second and iter(first) is first and not _restarts(first, make)
    except Exception:  # the user's function raising is named, in its own words, where the run calls it
        return
    if same:
        where = bundle.meta.get("factory") or f"model {bundle.name!r}"
        raise InputError(f"{where}: {source}() returned the same iterator on two calls ({type(first).__name__}), so "
                         "its batches run out after the first pass and every later pass would find none",
                         f"make {source}() return a fresh iterator on every call: build it inside the function, e.g. "
                         f"{source}=lambda: iter(my_list_of_batches), a generator function, or iter(DataLoader(...)), "
                         "not an iterator made once in the factory")


_NOTHING = object()


def _restarts(it: Any, make: Callable[[], Any]) -> bool:
    """Whether iter() starts `it` (what make() returns each time) over: its first item, then the first item after
    iter(make()) again, is the same batch (the same object, or equal tensors: a class that regenerates its batches
    from a generator it reseeds in __iter__). An iterator made once yields its second item instead; one made of one
    batch repeated passes here and is named later as before ('batches() yielded nothing')."""
    first = next(iter(it), _NOTHING)
    again = next(iter(make()), _NOTHING)
    return first is not _NOTHING and _same_batch(first, again)


def _same_batch(a: Any, b: Any) -> bool:
    """a and b are one batch: the same object, or tuples/lists/dicts of equal tensors and equal plain values."""
    import torch

    if a is b:
        return True
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and a.device == b.device and bool(torch.equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same_batch(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_batch(a[k], b[k]) for k in a)
    return type(a) is type(b) and not isinstance(a, torch.Tensor) and a == b


def _first_items(make: Callable[[], Iterator[Any]], n: int) -> list[Any]:
    """Up to n items of a fresh make(); fewer when the user's iterator raises: the run that reads it names that
    error in its own words (a scan is no place for it)."""
    items: list[Any] = []
    try:
        it = iter(make())
        while len(items) < n:
            items.append(next(it))
    except Exception:  # StopIteration included; the caller checks what was read
        pass
    return items


def _batch_rows(inputs: tuple[Any, ...], targets: Any, batch_size: int) -> tuple[int | None, str]:
    """(the dim-0 size all tensors of a batch share, or None when they disagree or one has batch_size along dim 1,
    a (T, B, ...) sequence-first layout; their shapes, for the message)."""
    import torch

    tensors = [x for x in (*inputs, targets) if isinstance(x, torch.Tensor) and x.dim() > 0]
    shapes = ", ".join(str(tuple(x.shape)) for x in tensors)
    firsts = {int(x.shape[0]) for x in tensors}
    if len(firsts) != 1 or any(x.dim() > 1 and x.shape[1] == batch_size for x in tensors):
        return None, shapes
    return firsts.pop(), shapes


def as_tuple(inputs: Any) -> tuple[Any, ...]:
    """Inputs as the positional arguments of model(*inputs)."""
    if isinstance(inputs, tuple):
        return inputs
    if isinstance(inputs, list):
        return tuple(inputs)
    return (inputs,)


def _split_spec(spec: str) -> tuple[Path, str]:
    path_s, sep, func = spec.rpartition(":")
    if not sep or not path_s or not func:
        # 'models.py:' already has its ':' (the fix said to append one): name what is missing
        # ':build' has its ':' and its function: the file is what is missing (it was told to append a ':')
        fix = (f"name the function that returns a ModelBundle after the ':', e.g. {path_s}:build" if sep and path_s
               else f"put the path of the Python file before the ':', e.g. examples/my_model.py:{func}"
               if sep and func else "append ':' and the name of the function that returns a ModelBundle, e.g. "
               "examples/my_model.py:build")
        raise InputError(f"model spec {spec!r} is not of the form 'path/to/file.py:factory'", fix)
    return Path(path_s), func


def _import_file(path: Path) -> Any:
    if path_kind(path, "model file") == "missing":
        near = near_model_files(str(path))
        raise InputError(f"model file {str(path)!r} does not exist",
                         "check the path (relative to the current directory)"
                         + (": did you mean " + " or ".join(repr(n) for n in near) + "?" if near else ""))
    if path.suffix != ".py":
        raise InputError(f"model file {str(path)!r} is not a .py file", "point to the Python file defining the factory")
    read_user_text(path, "model file", "check the path")  # a folder, binary or unreadable file: said plainly
    mod_name = f"accelopt_user_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise InputError(f"model file {str(path)!r} cannot be imported", "check that it is a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    # The file's folder first on the import path, as `python FILE` puts it: a model file may import the modules
    # beside it (a multi-file project). It stays for the run, so imports inside the factory find them too.
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:  # sys.exit() in a user file must not end accelopt with status 0
        sys.modules.pop(mod_name, None)
        raise InputError(f"importing model file {str(path)!r} raised {_describe(e)}",
                         "fix the error in that file (run `python FILE` to see the traceback)") from e
    return module


def _describe(e: BaseException) -> str:
    if isinstance(e, SystemExit):  # the user code asked to end the program: a model factory must return instead
        return f"SystemExit (it called sys.exit({e.code!r}))"
    return f"{type(e).__name__}: {e}"


def _check_kwargs(factory: Callable[..., Any], func_name: str, path: Path, kwargs: dict[str, Any]) -> None:
    """Name the option the factory cannot take, rather than a TypeError from inside the call."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    names = {p.name for p in params if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                   inspect.Parameter.KEYWORD_ONLY)}
    extra = sorted(set(kwargs) - names)
    if extra:
        raise InputError(f"factory {func_name!r} in {str(path)!r} takes no {', '.join(extra)} argument",
                         f"add {', '.join(e + '=...' for e in extra)} to its parameters (or **kwargs), "
                         "or do not pass that option")


SIZE_ARGUMENTS = ("batch_size", "seq_len")
"""The factory arguments that size its batches (profile's --batch-size, simulate's --batch, --seq-len)."""


def _factory_oom(func_name: str, path: Path, kwargs: Mapping[str, Any], e: BaseException) -> InfeasibleError:
    """The error for a factory that ran out of memory. Called with a batch size or sequence length it may be the
    batches that do not fit (`profile f.py:build --batch-size 100000000` was told to build a smaller model), so
    those are named first."""
    sized = {k: v for k, v in kwargs.items() if k in SIZE_ARGUMENTS}
    called = (" (called with " + ", ".join(f"{k}={v!r}" for k, v in sized.items()) + ")") if sized else ""
    smaller = " or ".join(f"a smaller {k}" for k in sized)
    return InfeasibleError(
        f"factory {func_name!r} in {str(path)!r} ran out of memory building the model or its batches{called} "
        f"({type(e).__name__}: {str(e).strip()[:200]})",
        (f"pass {smaller}, or " if smaller else "") + "build a smaller model (fewer or narrower layers), or run on a "
        "machine with more memory; `accelopt plan` predicts a model of this size without building it")


def _missing_factory_fix(module: Any) -> str:
    """The fix for a factory name the file does not define: the public functions the file itself defines (not ones
    it imports: `from torch.nn.functional import cross_entropy` listed cross_entropy as a factory to use), else how
    to write one, naming the nn.Module classes the file defines (a file of a model class alone read 'use one of:
    (no functions defined)', which fixed nothing)."""
    import torch

    own = {n: v for n, v in vars(module).items()
           if not n.startswith("_") and getattr(v, "__module__", None) == module.__name__}
    # the likeliest factory first: annotated to return a ModelBundle, then one named build (a loss_fn defined above
    # build was offered first)
    funcs = sorted((n for n, v in own.items() if inspect.isfunction(v)),
                   key=lambda n: ("ModelBundle" not in str(own[n].__annotations__.get("return", "")), n != "build"))
    if funcs:
        return f"use one of the functions it defines: {', '.join(funcs)}"
    classes = [n for n, v in own.items() if isinstance(v, type) and issubclass(v, torch.nn.Module)]
    model = f"{classes[0]}()" if classes else "YourModel()"
    return ("it defines no function: add one that returns ModelBundle(name=..., model=" + model + ", batches=..., "
            "loss_fn=..., batch_size=...) and name it after the ':' (see examples/my_model.py)"
            + (f"; it defines the nn.Module(s) {', '.join(classes)}" if classes else ""))


def _no_colon_fix(spec: str) -> str:
    """The fix for a bare 'model.py' that exists: the factory to append, from the functions the file defines, or how
    to write one (a file of an nn.Module class alone was told to append the name of a function it does not have).
    '' for anything else (the generic fix stands)."""
    path = Path(spec)
    if ":" in spec or path.suffix != ".py" or not path.is_file():
        return ""
    try:
        module = _import_file(path)
    except InputError:
        return ""
    fix = _missing_factory_fix(module)
    prefix = "use one of the functions it defines: "
    if fix.startswith(prefix):
        first = fix[len(prefix):].split(", ")[0]
        return f"append ':' and the function that returns a ModelBundle, e.g. {spec}:{first} ({fix})"
    return "append ':' and the name of a function that returns a ModelBundle; " + fix


def load_user_factory(spec: str, **kwargs: Any) -> ModelBundle:
    """Load 'path/to/file.py:factory', call factory(**kwargs) and check it returns a ModelBundle."""
    try:
        path, func_name = _split_spec(spec)
    except InputError as e:
        raise InputError(e.problem, _no_colon_fix(spec) or e.fix) from None
    module = _import_file(path)
    factory = getattr(module, func_name, None)
    if factory is None:
        raise InputError(f"model file {str(path)!r} has no function {func_name!r}", _missing_factory_fix(module))
    if not callable(factory):
        raise InputError(f"{func_name!r} in {str(path)!r} is a {type(factory).__name__}, not a function",
                         "name the function that returns a ModelBundle")
    _check_kwargs(factory, func_name, path, kwargs)
    try:
        bundle = _seeded_call(factory, kwargs)
    except InputError:
        raise
    except (Exception, SystemExit) as e:
        if is_out_of_memory(e):  # the model or its batches do not fit: the factory is not wrong
            raise _factory_oom(func_name, path, kwargs, e) from None
        raise InputError(f"factory {func_name!r} in {str(path)!r} raised {_describe(e)}",
                         "fix the factory (call it directly in Python to see the traceback)") from e
    if not isinstance(bundle, ModelBundle) and _is_module(bundle):  # `profile net.py:Net`, a class simulate takes
        raise InputError(f"{func_name!r} in {str(path)!r} gave a plain nn.Module ({type(bundle).__name__}), not a "
                         "ModelBundle: a step needs the model's batches and loss too",
                         f"write a factory that returns ModelBundle(name=..., model={func_name}(), "
                         "batches=..., loss_fn=..., batch_size=...) and name it (see examples/my_model.py); "
                         f"`accelopt simulate run -m {path.name}:{func_name} --input-shape ...` takes the module "
                         "as it is")
    if not isinstance(bundle, ModelBundle):
        raise InputError(f"factory {func_name!r} in {str(path)!r} returned a {type(bundle).__name__}, "
                         "not a ModelBundle",
                         "return accelopt.workload.userfile.ModelBundle(name=..., model=..., batches=..., "
                         "loss_fn=..., batch_size=...) — see examples/my_model.py")
    asked = kwargs.get("batch_size")
    if asked is not None and bundle.batch_size != asked:  # profile --batch-size 16 ran batch 4 unsaid
        raise InputError(f"factory {func_name!r} in {str(path)!r} was called with batch_size={asked} but returned a "
                         f"ModelBundle of batch_size {bundle.batch_size}",
                         "make the factory build its batches at its batch_size argument (see examples/my_model.py), "
                         "or leave the batch size option out to run the factory's own")
    bundle.meta.setdefault("factory", f"{path}:{func_name}")  # where a bad bundle's messages point
    bundle.meta.setdefault("size_arguments", _size_arguments(factory))  # what batch_multiple_fix may suggest
    return bundle


def _is_module(obj: Any) -> bool:
    import torch

    return isinstance(obj, torch.nn.Module)


def _size_arguments(factory: Callable[..., Any]) -> tuple[str, ...]:
    """The SIZE_ARGUMENTS the factory takes (all of them with **kwargs or a signature inspect cannot read)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return SIZE_ARGUMENTS
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return SIZE_ARGUMENTS
    names = {p.name for p in params if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
    return tuple(a for a in SIZE_ARGUMENTS if a in names)


def batch_multiple_fix(bundle: ModelBundle, multiple: int) -> str:
    """How to make the bundle's batch a multiple of `multiple`: --batch-size where its loader takes one; for a model
    factory without a batch_size parameter (which refuses --batch-size), the batch_size its ModelBundle has."""
    up = -(-bundle.batch_size // multiple) * multiple  # the next multiple up
    if "batch_size" in bundle.meta.get("size_arguments", SIZE_ARGUMENTS):
        return f"pass --batch-size a multiple of {multiple} (e.g. --batch-size {up})"
    where = bundle.meta.get("factory", bundle.name)
    return (f"make {where} return a ModelBundle whose batch_size (and batches) is a multiple of {multiple}, e.g. "
            f"{up} (it takes no batch_size argument, so --batch-size cannot change it; or add a batch_size "
            "parameter to it and pass --batch-size)")


def near_model_files(name: str) -> list[str]:
    """Files (.py:factory kept as typed, .json) or folders holding config.json in the folder `name` names whose
    names are close to it: 'causal.json' for 'causal.jsn'. [] for a name with neither a dot nor a '/' (a misspelt zoo
    name) or a folder that cannot be read."""
    path_s, sep, func = name.rpartition(":")
    typed = path_s if sep and "." in path_s else name
    if "." not in Path(typed).name and "/" not in typed:
        return []
    folder = Path(typed).parent
    try:
        names = [p.name for p in folder.iterdir()
                 if (p.is_file() and p.suffix in (".py", ".json")) or (p.is_dir() and (p / "config.json").is_file())]
    except OSError:
        return []
    found = close_matches(Path(typed).name, names, n=2, cutoff=0.75)
    prefix = "" if str(folder) == "." else f"{folder}/"
    return [f"{prefix}{n}" + (f":{func}" if typed is path_s and n.endswith(".py") else "") for n in found]
