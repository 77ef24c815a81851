"""Building blocks the techniques share: a fresh copy of the model on the target device, the standard
training step, an autocast wrapper module, the serialized size of a model, and a state-dict saver.

No technique is registered here.
"""

from __future__ import annotations

import contextlib
import copy
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from accelopt.optimize.base import Target, Variant
from accelopt.workload.amp import autocast, has_fast_path
from accelopt.workload.batch import to_device
from accelopt.workload.userfile import ModelBundle, as_tuple

__all__ = ["CHECKPOINTED", "CHECKPOINT_SEGMENTS", "PRUNED_LOAD", "QUANTIZED_LOAD", "AutocastModule", "copy_model",
           "is_structural", "make_train_step", "mark_structural", "plain_variant", "pruned_state", "state_dict_bytes",
           "state_dict_saver", "subclass_tensor_types", "tensors_copied", "tensors_put_back", "torch_dtype",
           "wrapper_name"]


def torch_dtype(name: str) -> Any:
    import torch

    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


def first_batch_on(bundle: ModelBundle, target: Target) -> tuple[tuple[Any, ...], Any]:
    """The bundle's first (inputs as a tuple, targets), moved to the target's device with their structure kept
    (workload.batch.to_device: targets as a dict of labels or a namedtuple too, which `targets.to(...)` failed on
    with "'dict' object has no attribute 'to'", or left on the host beside a GPU model)."""
    inputs, targets = bundle.first_batch()
    return to_device(as_tuple(inputs), target.device), to_device(targets, target.device)


def copy_model(bundle: ModelBundle, target: Target) -> Any:
    """A deep copy of the bundle's model on the target device, in train or eval mode per the target."""
    model = copy.deepcopy(bundle.model).to(target.device)
    model.train(target.mode == "train")
    return model


def _autocast_module_class() -> type:
    from torch import nn

    class _Autocast(nn.Module):
        """Runs the wrapped module under torch.autocast(device_type, dtype): matmuls/convs in low precision,
        weights and reductions kept in fp32. Being a module, it composes (torch.compile traces through it)."""

        def __init__(self, inner: Any, device_type: str, dtype: Any) -> None:
            super().__init__()
            self.inner = inner
            self.device_type = device_type
            self.dtype = dtype
            self.fast_path = device_type == "cpu" and has_fast_path(inner)  # once, not a module walk per forward

        def forward(self, *args: Any) -> Any:
            with autocast(self.device_type, self.dtype, self.inner, fast_path=self.fast_path):
                return self.inner(*args)

    return _Autocast


_AUTOCAST_CLS: type | None = None


def AutocastModule(inner: Any, device_type: str, dtype: Any) -> Any:
    """An nn.Module running `inner` under autocast (the class is made lazily: no torch at import)."""
    global _AUTOCAST_CLS
    if _AUTOCAST_CLS is None:
        _AUTOCAST_CLS = _autocast_module_class()
    return _AUTOCAST_CLS(inner, device_type, dtype)


def baseline_autocast(model: Any, target: Target) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    """A context for a forward + loss under the baseline's --dtype bf16/fp16 autocast, as make_train_step runs
    it (a no-op at fp32): a train step written apart from make_train_step (grad-accumulation's micro-batches) ran
    in fp32 beside a bf16 baseline."""
    if target.dtype == "fp32":
        return contextlib.nullcontext
    dtype = torch_dtype(target.dtype)
    fast_path = target.device_type == "cpu" and has_fast_path(model)
    return lambda: autocast(target.device_type, dtype, model, fast_path=fast_path)


def make_train_step(model: Any, bundle: ModelBundle, target: Target, *, optimizer: Any = None,
                    autocast_dtype: Any = None, scaler: Any = None) -> Callable[[Any, Any], Any]:
    """One whole training step (zero_grad(set_to_none=True), forward, loss, backward, optimizer step).

    `target.dtype` bf16/fp16 (the baseline's own mixed precision) runs the forward under autocast unless
    `autocast_dtype` says otherwise; `scaler` (torch.amp.GradScaler) scales the loss for fp16."""

    opt = optimizer if optimizer is not None else bundle_optimizer(bundle, model)
    if autocast_dtype is None and target.dtype != "fp32":
        autocast_dtype = torch_dtype(target.dtype)

    fast_path = autocast_dtype is not None and target.device_type == "cpu" and has_fast_path(model)  # once a run
    unchecked = [True]  # the first loss is checked to be a scalar (backward() of a per-sample loss raised inside torch)

    def step(inputs: Any, targets: Any) -> Any:
        opt.zero_grad(set_to_none=True)
        if autocast_dtype is not None:
            with autocast(target.device_type, autocast_dtype, model, fast_path=fast_path):
                loss = bundle.loss_fn(model(*as_tuple(inputs)), targets)
        else:
            loss = bundle.loss_fn(model(*as_tuple(inputs)), targets)
        if unchecked[0]:
            bundle.scalar_loss(loss)
            unchecked[0] = False
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        return loss.detach()

    step.optimizer = opt  # type: ignore[attr-defined]
    return step


def bundle_optimizer(bundle: ModelBundle, model: Any) -> Any:
    """The bundle's optimizer (make_optimizer, else default_optimizer) over `model`'s parameters (a variant's copy);
    one whose step() requires a closure (LBFGS) is an InputError naming the fix (userfile.refuse_closure_optimizer)."""
    from accelopt.workload.userfile import refuse_closure_optimizer

    opt = (bundle.make_optimizer or default_optimizer)(model.parameters())
    refuse_closure_optimizer(bundle.name, opt)
    return opt


def default_optimizer(params: Any) -> Any:
    """The optimizer of a bundle without make_optimizer, as ModelBundle documents it: AdamW(lr=1e-4)."""
    import torch

    return torch.optim.AdamW(params, lr=1e-4)


def plain_variant(technique: str, model: Any, bundle: ModelBundle, target: Target, **kw: Any) -> Variant:
    """A Variant whose forward is `model` itself and whose train step is the standard one (train mode)."""
    train_step = make_train_step(model, bundle, target) if target.mode == "train" else None
    kw.setdefault("save", state_dict_saver(model, technique))
    return Variant(technique=technique, model=model, forward=model, train_step=train_step, **kw)


def state_dict_bytes(model: Any) -> int:
    """Bytes of torch.save(model.state_dict()): the model's size as a file."""
    import torch

    buf = io.BytesIO()
    torch.save(_plain_state(model), buf)
    return buf.tell()


def _unwrapped(model: Any) -> Any:
    """The user's own module inside our wrappers: AutocastModule (bf16/fp16, attribute `inner`) and torch.compile's
    OptimizedModule (`_orig_mod`), in any nesting."""
    while True:
        if _AUTOCAST_CLS is not None and isinstance(model, _AUTOCAST_CLS):
            model = getattr(model, "inner")  # noqa: B009 (isinstance narrowed it to object)
        elif type(model).__name__ == "OptimizedModule" and hasattr(model, "_orig_mod"):
            model = model._orig_mod
        else:
            return model


def wrapper_name(model: Any) -> str | None:
    """What our wrapper around `model` runs it under ("autocast bfloat16", "torch.compile"), None for the user's own
    module: a technique that cannot take another's wrapper (an ONNX export from fp32) says so."""
    if _AUTOCAST_CLS is not None and isinstance(model, _AUTOCAST_CLS):
        return f"autocast {str(getattr(model, 'dtype', '')).removeprefix('torch.')}"
    if type(model).__name__ == "OptimizedModule" and hasattr(model, "_orig_mod"):
        return "torch.compile"
    return None


def _user_modules(model: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(name in the user's model, module) of every module of `model`, our wrappers taken out, in state_dict's
    order (a module reached by two paths comes twice, as state_dict writes tied weights twice): autocast and
    torch.compile around any module; torch's checkpoint wrapper; activation-checkpointing's wrappers (a ModuleList
    block `blocks.1` is `blocks.1.inner`, a Sequential cut into segments has its layers at `layers.0.inner.1`, which
    the user's class names `layers.1`). Wrappers are taken out as objects, not by name: a user's own submodule
    called `inner` keeps its name."""
    model = _unwrapped(model)
    if getattr(model, CHECKPOINT_SEGMENTS, False):  # Sequential(Checkpointed(Sequential(layers...)), ...)
        layers = [layer for segment in model for layer in _unwrapped(segment).inner]
        for i, layer in enumerate(layers):
            yield from _user_modules(layer, f"{prefix}{i}.")
        return
    if getattr(type(model), CHECKPOINTED, False):
        yield from _user_modules(model.inner, prefix)
        return
    wrapped = model._modules.get("_checkpoint_wrapped_module")  # torch.distributed's checkpoint_wrapper
    if wrapped is not None:
        yield from _user_modules(wrapped, prefix)
        return
    yield prefix.rstrip("."), model
    for name, child in model._modules.items():
        if child is not None:
            yield from _user_modules(child, f"{prefix}{name}.")


def user_names(model: Any) -> Callable[[str], str]:
    """A function from a module's or parameter's name in `model` (our wrappers in it: `inner.fc1` under bf16's
    autocast, `_orig_mod.fc1` under torch.compile) to its name in the user's model (`fc1`, _user_modules); a name it
    does not know is returned as it is. Notes name the user's layers so: prune-structured after bf16 listed
    'not pruned: inner.classifier', a module the user's model does not have."""
    by_id: dict[int, str] = {}
    for n, m in _user_modules(model):  # a module reached by two paths: its first, as named_modules() lists it (the
        by_id.setdefault(id(m), n)     # last one named T5's `shared` after `decoder.embed_tokens`, the same module)
    own = {n: by_id[id(m)] for n, m in model.named_modules() if id(m) in by_id}

    def rename(name: str) -> str:
        parts = name.split(".")
        for i in range(len(parts), -1, -1):  # the longest known head (a shared module's second path is not listed)
            head = ".".join(parts[:i])
            if head in own:
                return ".".join(p for p in (own[head], *parts[i:]) if p)
        return name

    return rename


CHECKPOINTED = "accelopt_checkpointed"
"""Class attribute (True) of activation-checkpointing's wrapper module (its block is its `inner`)."""
CHECKPOINT_SEGMENTS = "_accelopt_checkpoint_segments"
"""Instance attribute (True) of the Sequential of checkpointed segments that replaced a user's Sequential."""


def _plain_state(model: Any) -> dict[str, Any]:
    """The state dict of the user's own module under the user's own names (see _user_modules), so a saved variant
    loads into the user's model class with load_state_dict."""
    state: dict[str, Any] = {}
    for name, module in _user_modules(model):
        module._save_to_state_dict(state, f"{name}." if name else "", False)  # what Module.state_dict does per module
    return state


def _plain_value(v: Any) -> bool:
    """A value that unpickles without the user's code: numbers, text, None, torch dtypes and tuples/lists of them."""
    import torch

    if v is None or isinstance(v, bool | int | float | str | torch.dtype):
        return True
    return isinstance(v, tuple | list) and all(_plain_value(x) for x in v)


_MODULE_STATE = ("_parameters", "_buffers", "_non_persistent_buffers_set")


def pruned_state(model: Any) -> dict[str, Any]:
    """torch-pruning's state_dict format ({'full_state_dict': {module name: attributes}, 'attributions': {}}), which
    torch_pruning.load_state_dict(YourModel(...), it) writes into a fresh instance's modules by name: each module's
    parameters, buffers and plain attributes (in_features, out_channels, groups, ...: the pruned widths). Not
    tp.state_dict itself: it pickles each module's whole __dict__, child modules included, so the file named the
    user's classes by the module name accelopt imported the user's file under (accelopt_user_<hash>, new in every
    process) and loading it from the user's own `from my_model import Net` failed with ModuleNotFoundError."""
    full: dict[str, Any] = {}
    for name, module in _user_modules(model):
        full[name] = {k: v for k, v in vars(module).items()
                      if k in _MODULE_STATE or (not k.startswith("_") and _plain_value(v))}
    return {"full_state_dict": full, "attributions": {}}


PRUNED_LOAD = ("torch_pruning.load_state_dict({cls}(...), torch.load({path!r}, weights_only=False))")
"""How a file pruned_saver wrote loads into the user's class (a plain load_state_dict fails: size mismatch)."""


QUANTIZED_LOAD = "{cls}(...).load_state_dict(torch.load({path!r}, weights_only=False), assign=True)"
"""How a plain state dict holding torchao's quantized tensors (Int8Tensor, ...) loads into the user's class: a plain
load_state_dict copies each into the fp32 Parameter and fails ('Parameter' object has no attribute
'tensor_data_names'), and torch.load's default weights_only=True refuses the tensor subclass."""


def subclass_tensor_types(model: Any) -> list[str]:
    """Names of the tensor subclasses (torchao's Int8Tensor, ...) among the parameters and buffers a saved state
    dict of `model` holds (_plain_state); [] for plain tensors."""
    import torch

    plain = (torch.Tensor, torch.nn.Parameter)
    return sorted({type(t).__name__ for t in _plain_state(model).values()
                   if isinstance(t, torch.Tensor) and type(t) not in plain})


STRUCTURAL = "_accelopt_structural"
"""Instance attribute (True) a technique sets on a model whose layer widths it changed (prune-structured, a student
narrowed from the model): a deep copy keeps it, so a chain's later techniques save it in pruned_state's format."""


def mark_structural(model: Any) -> Any:
    """Mark `model` as pruned structurally: state_dict_saver writes it in pruned_state's format."""
    object.__setattr__(model, STRUCTURAL, True)  # a plain attribute (nn.Module.__setattr__ would too; explicit)
    return model


def is_structural(model: Any) -> bool:
    return model is not None and bool(getattr(_unwrapped(model), STRUCTURAL, False))


def tensors_copied(model: Any) -> list[tuple[Any, Any]]:
    """(tensor, a CPU copy) for each parameter and buffer of `model` (each storage once: tied weights are one)."""
    tensors = {id(t): t for t in [*model.parameters(), *model.buffers()]}
    return [(t, t.detach().to("cpu", copy=True)) for t in tensors.values()]


@contextlib.contextmanager
def tensors_put_back(copies: list[tuple[Any, Any]] | None) -> Iterator[None]:
    """Inside the block each tensor holds its copy's values (tensors_copied); after it, its values of before. The
    tensors keep their identity (a compiled graph, an optimizer hold them)."""
    import torch

    if not copies:
        yield
        return
    now = [(t, t.detach().to("cpu", copy=True)) for t, _ in copies]
    with torch.no_grad():
        for t, kept in copies:
            t.copy_(kept)
    try:
        yield
    finally:
        with torch.no_grad():
            for t, values in now:
                t.copy_(values)


def state_dict_saver(model: Any, technique: str) -> Callable[[Path], Path]:
    """Writes model-TECHNIQUE.pt (recipe.save names it after the whole variant): the state dict under the user's
    names, or, for a model a technique marked structural (layer widths differ from the user's class), pruned_state's
    format."""

    def save(folder: Path) -> Path:
        import torch

        path = Path(folder) / f"model-{technique}.pt"
        torch.save(pruned_state(model) if is_structural(model) else _plain_state(model), path)
        return path

    return save
