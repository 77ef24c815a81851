"""Capture one real PyTorch step as a Workload: every aten op, with its work, traffic and origin.

`capture_workload(bundle)` runs one real step of a `ModelBundle` (forward + loss, backward and
optimizer step in train mode; forward under torch.no_grad in inference mode) under a
TorchDispatchMode that records each aten op as an `Op`: kind and FLOPs (see
accelopt.workload.opcount), bytes read/written, dtype, input shapes, the module that issued it
and the phase (forward; backward while loss.backward() / the autograd engine runs; optimizer while
optimizer.step runs). Nothing is merged by default: one Op per aten call, count = 1
(`compact=True` folds identical consecutive ops into one entry with its `count`).

Module paths. Forward: the innermost module whose forward is running (global module hooks, an
ordered stack; names as in model.named_modules(), '' = top level, e.g. the loss). Backward: each
autograd node created during a module's forward is tagged with that module's path when the
forward returns (innermost module first), and a backward op takes the tag of the node the engine
is executing (torch._C._current_autograd_node()). This is exact where
torch.utils.module_tracker.ModuleTracker guesses: its backward exit hooks never fire for modules
whose inputs need no grad (embeddings, the first layer), so their names linger in its set.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

from accelopt import dtypes
from accelopt.errors import InputError, UnsupportedError
from accelopt.workload.amp import autocast
from accelopt.workload.batch import to_device
from accelopt.workload.storage import state_tensors, tensor_bytes
from accelopt.workload.types import Op, Workload
from accelopt.workload.usercode import user_call
from accelopt.workload.userfile import ModelBundle

__all__ = ["MODES", "capture_workload", "compact_ops", "dtype_name", "forward_work", "step_dtype"]

MODES = ("train", "inference")
_AUTOCAST = {"fp32": None, "bf16": "bfloat16", "fp16": "float16"}


def dtype_name(dt: Any) -> str:
    """torch dtype -> accelopt dtype string (types.DTYPE_BYTES keys)."""
    name = dtypes.from_torch(dt)
    if name is not None:
        return name
    return "fp32" if dt.is_floating_point else "int32"  # complex, int16 views...: counted at these widths


def _op_dtype(args: Any, out: Any) -> str:
    """Compute dtype: the first floating-point input (else first output, else first tensor)."""
    import torch
    from torch.utils._pytree import tree_flatten

    ins = [t for t in tree_flatten(args)[0] if isinstance(t, torch.Tensor)]
    outs = [t for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]
    for t in (*ins, *outs):
        if t.is_floating_point():
            return dtype_name(t.dtype)
    first = (ins or outs or [None])[0]
    return dtype_name(first.dtype) if first is not None else "fp32"


def op_name(func: Any) -> str:
    """An Op's name: 'aten.mm'; an op of another library its namespace's, 'torchvision.roi_align', a user's
    torch.library custom op 'mylib.my_op', as torch.profiler names it 'mylib::my_op' (roofline.op_key joins the two).
    Every op was named 'aten.*': a custom op's FLOPs (its register_flop_formula) went to a row 'aten::my_op' the
    profiler never timed, and its timed row 'mylib::my_op' read 0 FLOPs, overhead-bound."""
    from accelopt.workload import opcount

    return f"{getattr(func, 'namespace', 'aten') or 'aten'}.{opcount.base_name(func)}"


def _shapes(args: Any) -> tuple[tuple[int, ...], ...]:
    import torch
    from torch.utils._pytree import tree_flatten

    return tuple(tensor_shape(t) for t in tree_flatten(args)[0] if isinstance(t, torch.Tensor))


def tensor_shape(t: Any) -> tuple[int, ...]:
    """t.shape; for a nested tensor (ragged sequences: the transformer encoder fast path with a padding mask,
    whose .shape raises) its padded shape, (components, largest size of each dimension)."""
    if getattr(t, "is_nested", False):
        sizes = t._nested_tensor_size()  # (components, dims of each)
        return (int(sizes.shape[0]), *(int(d) for d in sizes.amax(dim=0).tolist())) if sizes.numel() else (0,)
    return tuple(int(s) for s in t.shape)


def _grad_fns(x: Any) -> list[Any]:
    import torch
    from torch.utils._pytree import tree_flatten

    return [t.grad_fn for t in tree_flatten(x)[0] if isinstance(t, torch.Tensor) and t.grad_fn is not None]


class _ModulePaths:
    """Which module issued an op, in forward and in backward (see the module docstring)."""

    def __init__(self, model: Any) -> None:
        self.names: dict[Any, str] = {m: n for n, m in model.named_modules()}
        self.stack: list[tuple[str, set[Any]]] = []
        """(path, autograd nodes of the module's inputs) per running forward, innermost last."""
        self.node_path: dict[Any, str] = {}
        self._handles: list[Any] = []

    def _name(self, mod: Any) -> str:
        return self.names[mod] if mod in self.names else type(mod).__name__

    def _pre(self, mod: Any, args: Any) -> None:
        self.stack.append((self._name(mod), set(_grad_fns(args))))

    def _post(self, mod: Any, args: Any, out: Any) -> None:
        if not self.stack:
            return
        path, boundary = self.stack.pop()
        # tag every node created in this forward: walk back from the outputs to the inputs' nodes;
        # nodes already tagged by an inner module keep their tag but are walked through
        todo = [n for n in _grad_fns(out) if n not in boundary]
        seen = set(todo)
        while todo:
            node = todo.pop()
            self.node_path.setdefault(node, path)
            for nxt, _ in node.next_functions:
                if nxt is not None and nxt not in boundary and nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)

    def current(self, backward: bool) -> str:
        import torch

        if self.stack:  # forward, or a recompute (activation checkpointing) inside backward
            return self.stack[-1][0]
        if backward:
            node = torch._C._current_autograd_node()
            return self.node_path.get(node, "") if node is not None else ""
        return ""

    def __enter__(self) -> _ModulePaths:
        from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

        # always_call: _post pops the stack also when a forward raises. Activation checkpointing
        # (torch.utils.checkpoint, use_reentrant=False) stops its recompute by raising inside the forward once the
        # tensors backward needs exist; without it the modules left on the stack took every later backward op (an
        # MLP's first Linear's dX and dW GEMMs were put on its last Linear)
        self._handles = [register_module_forward_pre_hook(self._pre),
                         register_module_forward_hook(self._post, always_call=True)]
        return self

    def __exit__(self, *exc: object) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


class _Recorder:
    """Builds the TorchDispatchMode lazily (torch is imported only when capturing)."""

    def __init__(self, model: Any) -> None:
        self.ops: list[Op] = []
        self.unmodeled: dict[str, int] = {}
        self.paths = _ModulePaths(model)
        self.in_optimizer = False
        self.in_backward = False

    def phase(self) -> str:
        import torch

        if self.in_optimizer:
            return "optimizer"
        # the flag also covers the gradient seed (ones_like) that backward() makes before the engine starts
        if self.in_backward or torch._C._current_graph_task_id() != -1:
            return "backward"
        return "forward"

    def record(self, func: Any, args: Any, kwargs: dict[str, Any], out: Any) -> None:
        from accelopt.workload import opcount

        work = opcount.classify(func, args, kwargs, out)
        if not work.modeled:
            name = opcount.base_name(func)
            self.unmodeled[name] = self.unmodeled.get(name, 0) + 1
        rd, wr = opcount.io_bytes(func, args, kwargs, out)
        phase = self.phase()
        module = "" if phase == "optimizer" else self.paths.current(phase == "backward")
        self.ops.append(Op(name=op_name(func), kind=work.kind, flops=work.flops,
                           bytes_read=rd, bytes_written=wr, dtype=_op_dtype(args, out), shapes=_shapes(args),
                           module=module, phase=phase, gemm=work.gemm, conv=work.conv))

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        from torch.utils._python_dispatch import TorchDispatchMode

        recorder = self

        class _Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
                kwargs = kwargs or {}
                out = func(*args, **kwargs)
                recorder.record(func, args, kwargs, out)
                return out

        with self.paths, _Mode():
            yield

    @contextlib.contextmanager
    def in_phase(self, phase: str) -> Iterator[None]:
        attr = "in_optimizer" if phase == "optimizer" else "in_backward"
        setattr(self, attr, True)
        try:
            yield
        finally:
            setattr(self, attr, False)


def _check_args(mode: str, dtype: str, device: str) -> Any:
    import torch

    if mode not in MODES:
        raise InputError(f"mode {mode!r} is not known", f"use one of {', '.join(MODES)}")
    if dtype not in _AUTOCAST:
        raise InputError(f"dtype {dtype!r} is not supported for capture",
                         f"use one of {', '.join(_AUTOCAST)} (bf16/fp16 run under torch.autocast)")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise InputError(f"device {device!r} is not a torch device string",
                         "use 'cpu', 'cuda', 'cuda:0', 'mps' ...") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UnsupportedError(f"device {device!r} requested but CUDA is not available here",
                               "use --device cpu, or run on a machine with a CUDA GPU")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise UnsupportedError(f"device {device!r} requested but MPS is not available here", "use --device cpu")
    return dev


def refuse_meta_tensors(bundle: ModelBundle, batch: Any) -> None:
    """InputError when the model's weights or the batch are on PyTorch's meta device (shapes, no data: a model built
    under torch.device('meta') or accelerate's init_empty_weights) and the step is to run on a real device. Without
    it the user read torch's 'Cannot copy out of meta tensor; no data!' beside a fix about shapes and dtypes."""
    import torch
    from torch.utils._pytree import tree_flatten

    on_meta = [n for n, t in (*bundle.model.named_parameters(), *bundle.model.named_buffers()) if t.is_meta]
    if on_meta:
        more = f" and {len(on_meta) - 1} more" if len(on_meta) > 1 else ""
        raise InputError(f"model {bundle.name!r} has weights on PyTorch's meta device (shapes without data: "
                         f"{on_meta[0]!r}{more}): a real step cannot run on them",
                         "build the model on a real device (leave out device='meta' / init_empty_weights), or "
                         "materialize it with model.to_empty(device='cpu') and initialize its weights; `accelopt plan "
                         "infer` predicts a model from its shapes alone")
    if any(isinstance(t, torch.Tensor) and t.is_meta for t in tree_flatten(batch)[0]):
        raise InputError(f"model {bundle.name!r}: batches() yields tensors on PyTorch's meta device (shapes without "
                         "data): a real step cannot run on them", "make the data on the CPU (torch.randn(..., "
                         "device='cpu')); accelopt moves it to --device")


def _autocast(dev: Any, dtype: str, model: Any) -> contextlib.AbstractContextManager[Any]:
    import torch

    name = _AUTOCAST[dtype]
    if name is None:
        return contextlib.nullcontext()
    return autocast(dev.type, getattr(torch, name), model)


def _run_step(bundle: ModelBundle, inputs: tuple[Any, ...], targets: Any, opt: Any, mode: str, dev: Any,
              dtype: str, rec: _Recorder | None) -> None:
    """One step; `rec` None = un-recorded warm-up."""
    import torch

    ctx: contextlib.AbstractContextManager[Any] = rec.active() if rec is not None else contextlib.nullcontext()
    if mode == "inference":
        with torch.no_grad(), ctx, _autocast(dev, dtype, bundle.model):
            bundle.model(*inputs)
        return
    opt.zero_grad(set_to_none=True)
    with ctx:
        with _autocast(dev, dtype, bundle.model):
            loss = bundle.scalar_loss(bundle.loss_fn(bundle.model(*inputs), targets))
        with rec.in_phase("backward") if rec is not None else contextlib.nullcontext():
            loss.backward()
        with rec.in_phase("optimizer") if rec is not None else contextlib.nullcontext():
            opt.step()


def _guarded_step(bundle: ModelBundle, inputs: tuple[Any, ...], targets: Any, opt: Any, mode: str, dev: Any,
                  dtype: str, rec: _Recorder | None) -> None:
    """_run_step with the model's own exceptions raised as a ModelCodeError naming the model and the step
    (workload.usercode.user_call; an out-of-memory passes through for the caller that knows the sizes)."""
    user_call(bundle, f"during its {mode} step", _run_step, bundle, inputs, targets, opt, mode, dev, dtype, rec)


def compact_ops(ops: list[Op]) -> list[Op]:
    """Fold runs of identical consecutive ops (every field equal) into one Op with `count` = run length."""
    out: list[Op] = []
    for op in ops:
        if out and dataclasses.replace(out[-1], count=op.count) == op:
            out[-1] = dataclasses.replace(out[-1], count=out[-1].count + op.count)
        else:
            out.append(op)
    return out


def capture_workload(bundle: ModelBundle, *, mode: str = "train", dtype: str = "fp32", device: str = "cpu",
                     warmup_steps: int = 0, compact: bool = False) -> Workload:
    """Run one real step of `bundle` and return its ops as a Workload.

    mode: 'train' (forward + loss, backward, optimizer step) or 'inference' (forward, no grad).
    dtype: 'fp32', or 'bf16'/'fp16' for mixed precision (torch.autocast; weights keep their dtype).
    device: where to run ('cpu', 'cuda', ...); the model is moved there in place.
    warmup_steps: un-recorded steps first (e.g. so optimizer state allocation is not captured).
    compact: fold identical consecutive ops into one entry with `count` (totals unchanged).
    Train mode updates the model's weights (it is a real step).
    """
    dev = _check_args(mode, dtype, device)
    if not isinstance(warmup_steps, int) or warmup_steps < 0:
        raise InputError(f"warmup_steps = {warmup_steps!r} must be a non-negative integer", "pass 0 or more")
    inputs, targets = bundle.first_batch()
    if dev.type != "meta":
        refuse_meta_tensors(bundle, (inputs, targets))
    inputs, targets = to_device(inputs, dev), to_device(targets, dev)
    # counted before the move: Module.to gives each module its own new Parameter, so weights shared by two modules
    # (GPT-2's tied input embedding and LM head) are counted twice after it
    params = bundle.param_count()
    bundle.model.to(dev)
    bundle.model.train(mode == "train")
    opt = bundle.optimizer() if mode == "train" else None
    for _ in range(warmup_steps):
        _guarded_step(bundle, inputs, targets, opt, mode, dev, dtype, None)
    rec = _Recorder(bundle.model)
    _guarded_step(bundle, inputs, targets, opt, mode, dev, dtype, rec)
    if dev.type == "cuda":
        import torch

        torch.cuda.synchronize(dev)
    ops = compact_ops(rec.ops) if compact else rec.ops
    meta = _meta(bundle, mode, dtype, dev, rec, params)
    meta["aten_calls"] = len(rec.ops)
    if opt is not None:
        meta.update(state_bytes(bundle.model, opt))
    return Workload(name=bundle.name, ops=ops, meta=meta)


def forward_work(bundle: ModelBundle, batch: tuple[Any, Any], *, mode: str = "train", dtype: str = "fp32",
                 device: str = "cpu") -> tuple[float, int]:
    """(FLOPs, aten calls) of one recorded forward of `batch` = (inputs, targets), as capture_workload's step runs
    it (train: forward + loss with autograd on, no backward and no optimizer step, so the weights are not updated;
    inference: forward under torch.no_grad), each op counted as capture_workload counts it. Two batches of one
    model compared this way tell whether its work depends on the data (a data-dependent branch, an early exit,
    routing) and not only on the shapes."""
    import torch

    from accelopt.workload.userfile import as_tuple

    dev = _check_args(mode, dtype, device)
    inputs, targets = to_device(as_tuple(batch[0]), dev), to_device(batch[1], dev)
    bundle.model.train(mode == "train")
    rec = _Recorder(bundle.model)

    def forward() -> None:
        with contextlib.ExitStack() as stack:
            if mode == "inference":
                stack.enter_context(torch.no_grad())
            stack.enter_context(rec.active())
            stack.enter_context(_autocast(dev, dtype, bundle.model))
            out = bundle.model(*inputs)
            if mode == "train":
                bundle.scalar_loss(bundle.loss_fn(out, targets))

    user_call(bundle, f"during a forward of its {mode} step", forward)
    return float(sum(o.flops * o.count for o in rec.ops)), len(rec.ops)


def state_bytes(model: Any, opt: Any) -> dict[str, float]:
    """The bytes a training step keeps between steps, as measured after a real step (each storage once): weights,
    gradients (the gradient all-reduce's volume) and optimizer state, in the dtypes the run holds them. `plan`
    sizes a workload's memory and data-parallel traffic from them: it assumed bf16 weights and gradients and 12 B of
    optimizer state per parameter, so an fp32 step read its weights at half their bytes and its all-reduce at half
    its volume, and SGD's one momentum buffer (4 B per parameter) as AdamW's 12."""
    return {"param_bytes": tensor_bytes(model.parameters()),
            "grad_bytes": tensor_bytes(p.grad for p in model.parameters()),
            "optimizer_state_bytes": tensor_bytes(state_tensors(opt))}


def step_dtype(model: Any, dtype: str) -> str:
    """The dtype a step of `model` runs in: its weights' own when every floating parameter is one reduced precision
    (bf16, fp16: run as they are, autocast applies over fp32 weights only) or fp64, else `dtype` (autocast's).
    A model all in fp64 (`.double()`) was labelled fp32 and its MFU taken against the fp32 peak (xeon-8480plus:
    fp64 3.584 TFLOP/s, half of fp32's).
    A model already in bf16 was labelled fp32 (the default --dtype): profile took its MFU against the fp32 peak (16x
    too high against xeon-8480plus: fp32 7.17 TFLOP/s, bf16 115 TFLOP/s), and its saved workload's meta dtype made
    plan time it at the fp32 peak."""
    own = {dtypes.from_torch(p.dtype) for p in model.parameters() if p.is_floating_point()}
    return str(own.pop()) if len(own) == 1 and own <= {"bf16", "fp16", "fp64"} else dtype


def _meta(bundle: ModelBundle, mode: str, dtype: str, dev: Any, rec: _Recorder, params: int) -> dict[str, Any]:
    import torch

    meta: dict[str, Any] = {k: v for k, v in bundle.meta.items() if isinstance(v, (str, int, float, bool, list))}
    meta.update({
        "model": bundle.name, "mode": mode, "dtype": step_dtype(bundle.model, dtype), "batch_size": bundle.batch_size,
        "seq_len": bundle.meta.get("seq_len"), "params": params, "device": str(dev),
        "source": "capture", "torch_version": torch.__version__,
        "unmodeled_ops": dict(sorted(rec.unmodeled.items())),
    })
    return meta
