"""Building blocks the techniques share: a fresh copy of the model on the target device, the standard
training step, an autocast wrapper module, the serialized size of a model, and a state-dict saver.

No technique is registered here.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accelopt.optimize.base import Target, Variant
from accelopt.workload.userfile import ModelBundle, as_tuple

__all__ = ["AutocastModule", "copy_model", "make_train_step", "plain_variant", "state_dict_bytes",
           "state_dict_saver", "torch_dtype"]


def torch_dtype(name: str) -> Any:
    import torch

    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


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

        def forward(self, *args: Any) -> Any:
            import torch

            with torch.autocast(self.device_type, dtype=self.dtype):
                return self.inner(*args)

    return _Autocast


_AUTOCAST_CLS: type | None = None


def AutocastModule(inner: Any, device_type: str, dtype: Any) -> Any:
    """An nn.Module running `inner` under autocast (the class is made lazily: no torch at import)."""
    global _AUTOCAST_CLS
    if _AUTOCAST_CLS is None:
        _AUTOCAST_CLS = _autocast_module_class()
    return _AUTOCAST_CLS(inner, device_type, dtype)


def make_train_step(model: Any, bundle: ModelBundle, target: Target, *, optimizer: Any = None,
                    autocast_dtype: Any = None, scaler: Any = None) -> Callable[[Any, Any], Any]:
    """One whole training step (zero_grad(set_to_none=True), forward, loss, backward, optimizer step).

    `target.dtype` bf16/fp16 (the baseline's own mixed precision) runs the forward under autocast unless
    `autocast_dtype` says otherwise; `scaler` (torch.amp.GradScaler) scales the loss for fp16."""
    import torch

    opt = optimizer if optimizer is not None else (bundle.make_optimizer or _adamw)(model.parameters())
    if autocast_dtype is None and target.dtype != "fp32":
        autocast_dtype = torch_dtype(target.dtype)

    def step(inputs: Any, targets: Any) -> Any:
        opt.zero_grad(set_to_none=True)
        if autocast_dtype is not None:
            with torch.autocast(target.device_type, dtype=autocast_dtype):
                loss = bundle.loss_fn(model(*as_tuple(inputs)), targets)
        else:
            loss = bundle.loss_fn(model(*as_tuple(inputs)), targets)
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


def _adamw(params: Any) -> Any:
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


def _plain_state(model: Any) -> dict[str, Any]:
    """The state dict of the user's own module (our wrappers unwrapped, and torch's compile / checkpoint wrappers
    inside it dropped from the names), so a saved variant loads into the user's model class. The wrappers are
    unwrapped as objects, not by name: a user's own submodule called `inner` keeps its name (stripping a leading
    'inner.' saved its weights as 'weight', 'bias', which load into nothing)."""
    return {k.replace("._orig_mod.", ".").replace("._checkpoint_wrapped_module.", "."): v
            for k, v in _unwrapped(model).state_dict().items()}


def state_dict_saver(model: Any, technique: str) -> Callable[[Path], Path]:
    def save(folder: Path) -> Path:
        import torch

        path = Path(folder) / f"model-{technique}.pt"
        torch.save(_plain_state(model), path)
        return path

    return save
