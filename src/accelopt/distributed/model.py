"""The user's ModelBundle inside a rank: loading it, sharding its global batch, splitting it into layers."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from types import SimpleNamespace
from typing import Any

from accelopt.errors import InputError
from accelopt.workload.usercode import user_call
from accelopt.workload.userfile import ModelBundle, as_tuple, load_user_factory


def load_bundle(ref: str, kwargs: dict[str, Any]) -> ModelBundle:
    """'path/file.py:factory' (the user-file contract) or 'package.module:function', called with kwargs."""
    mod, sep, func = ref.rpartition(":")
    if not sep or not mod or not func:
        raise InputError(f"model reference {ref!r} is not 'path/file.py:factory' or 'package.module:function'",
                         "name the function that returns a ModelBundle after a ':'")
    if mod.endswith(".py"):
        return load_user_factory(ref, **kwargs)
    try:
        fn = getattr(importlib.import_module(mod), func)
    except (ImportError, AttributeError) as e:
        raise InputError(f"cannot import {ref!r}: {e}", "check the module path and the function name") from e
    bundle = fn(**kwargs)
    if not isinstance(bundle, ModelBundle):
        raise InputError(f"{ref!r} returned a {type(bundle).__name__}, not a ModelBundle",
                         "return accelopt.workload.userfile.ModelBundle(...)")
    return bundle


class BatchStream:
    """Endless (inputs, targets) of the bundle, restarting `batches()` when it runs out."""

    def __init__(self, bundle: ModelBundle) -> None:
        self.bundle = bundle
        self._it = iter(bundle.batches())
        self._index = 0  # of the next batch in the current pass over batches()
        self._peeked: tuple[tuple[Any, ...], Any] | None = None

    def next(self) -> tuple[tuple[Any, ...], Any]:
        """The next batch, each checked to hold batch_size samples (check_rows): a short last batch crashed a
        pipeline rank ('index out of range') and was counted as batch_size samples under DDP."""
        if self._peeked is not None:
            batch, self._peeked = self._peeked, None
            return batch
        try:
            inputs, targets = next(self._it)
        except StopIteration:
            self._it, self._index = iter(self.bundle.batches()), 0
            inputs, targets = next(self._it)
        check_rows(self.bundle, as_tuple(inputs), targets, f"batch {self._index}")
        self._index += 1
        return as_tuple(inputs), targets

    def peek(self) -> tuple[tuple[Any, ...], Any]:
        """The batch next() returns next, without consuming it (a second batches() iterator could draw from the
        same random generator as the first and shift every batch after it)."""
        if self._peeked is None:
            self._peeked = self.next()
        return self._peeked


def tensor_bytes(obj: Any) -> float:
    """Bytes of the tensors in `obj` (a tensor, a list of parameters, a layer's output tuple or dict)."""
    import torch
    from torch.utils import _pytree as pytree

    return float(sum(x.numel() * x.element_size() for x in pytree.tree_leaves(obj) if isinstance(x, torch.Tensor)))


def on_tensors(obj: Any, fn: Any) -> Any:
    """obj with fn applied to every tensor in it, its structure kept: torch's pytree follows tuples, lists, dicts
    and namedtuples (a namedtuple of targets, rebuilt as type(obj)(generator), failed with "missing 1 required
    positional argument"), the structures its pipeline stages split and flat_spec checks."""
    import torch
    from torch.utils import _pytree as pytree

    return pytree.tree_map_only(torch.Tensor, fn, obj)


def shard(obj: Any, rank: int, world: int) -> Any:
    """This rank's equal slice along dim 0 of every tensor in obj (a data-parallel rank's share)."""

    def one(t: Any) -> Any:
        n = t.shape[0] // world
        return t[rank * n:(rank + 1) * n]

    return on_tensors(obj, one)


def take(obj: Any, index: Any) -> Any:
    """obj's samples at `index` (a 1-d index tensor) along dim 0 of every tensor in it (on_tensors): a pipeline
    micro-batch's targets, whatever their structure."""
    return on_tensors(obj, lambda t: t.index_select(0, index.to(t.device)))


def tensors_in(name: str, obj: Any) -> list[tuple[str, Any]]:
    """(name, tensor) of every tensor in obj, named by their path (targets['labels'], inputs[0][1], targets.weights)
    in the structures on_tensors follows."""
    import torch
    from torch.utils import _pytree as pytree

    leaves, _ = pytree.tree_flatten_with_path(obj)
    return [(name + pytree.keystr(path), x) for path, x in leaves if isinstance(x, torch.Tensor)]


SCAN_BATCHES = 16
"""Batches of the model checked before launch (check_batch); every rank checks each batch it reads too."""


def check_batch(bundle: ModelBundle) -> None:
    """The first batch exists and every tensor of the first SCAN_BATCHES batches holds `batch_size` samples along
    dim 0: the ranks slice each tensor there (shard) and report `batch_size` as the global batch, so data of another
    size would be measured under a wrong batch, or crash on one rank (a short last batch: a pipeline rank's 'index
    out of range')."""
    inputs, targets = bundle.first_batch()  # InputError when batches() yields nothing
    check_rows(bundle, inputs, targets, "the first batch")
    it = iter(bundle.batches())
    for i in range(SCAN_BATCHES):
        item = next(it, None)
        if not isinstance(item, tuple | list) or len(item) != 2:
            return  # the end, or an item first_batch or the run names
        check_rows(bundle, as_tuple(item[0]), item[1], f"batch {i}")


def check_rows(bundle: ModelBundle, inputs: tuple[Any, ...], targets: Any, which: str) -> None:
    """InputError unless every tensor of one batch holds `batch_size` samples along dim 0, naming the batch
    (`which`: 'the first batch', 'batch 2') and the tensor."""
    named = [t for i, x in enumerate(inputs) for t in tensors_in(f"inputs[{i}]", x)] + tensors_in("targets", targets)
    for name, x in named:
        samples = x.shape[0] if x.dim() > 0 else None
        if samples != bundle.batch_size:
            held = f"{samples} samples" if samples is not None else "no batch dimension (a 0-d tensor)"
            short = samples is not None and samples < bundle.batch_size and which != "the first batch"
            raise InputError(f"model {bundle.name!r}: {name} of {which} has {held} along dim 0 "
                             f"(shape {tuple(x.shape)}), but its batch_size {bundle.batch_size} says otherwise; a "
                             "distributed run slices every tensor of every batch along dim 0 into equal shares",
                             ("make batches() yield batch_size samples in every batch: drop the short last one "
                              "(e.g. DataLoader(drop_last=True))" if short else
                              "make batch_size the samples per batch (or pass --batch-size), and give every input "
                              "and target the batch as its first dimension"))


def batchnorm_note(model: Any, parallel: str, microbatches: int = 1) -> list[str]:
    """DDP and FSDP ranks normalize over their own slice of the batch (neither synchronizes batch statistics), a
    pipeline over each micro-batch, so a model with BatchNorm trains differently from the one-process run: said,
    with the layers."""
    from torch import nn

    over = {"ddp": "each rank's slice of the batch", "fsdp": "each rank's slice of the batch"}.get(parallel)
    if parallel == "pipeline" and microbatches > 1:
        over = f"each of the {microbatches} micro-batches"
    names = [f"{n} ({type(m).__name__})" for n, m in model.named_modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm) and not isinstance(m, nn.SyncBatchNorm)]
    if over is None or not names:
        return []
    why = ("the pipeline runs them one at a time" if parallel == "pipeline" else
           f"{parallel} does not synchronize batch statistics; torch.nn.SyncBatchNorm would")
    return [f"{len(names)} BatchNorm layer(s), {', '.join(names)}, normalize over {over}, not the global batch "
            f"({why}), so the losses differ from the one-process run's"]


def dropout_note(model: Any, parallel: str) -> list[str]:
    """Dropout draws its masks for each rank's share of the batch (each micro-batch in a pipeline), not for the global
    batch as the one-process run does, so a model with dropout has losses that differ from that run's: a Hugging Face
    T5 (dropout 0.1) under fsdp read 6.458 vs 6.188 on its first step with no word, where BatchNorm is said. Besides
    nn.Dropout layers, the dropout an nn.LSTM/GRU/RNN applies between its layers (num_layers > 1) and the one
    nn.MultiheadAttention applies to its attention weights, both a float attribute, not a module (an LSTM language
    model with dropout 0.1 got no note)."""
    names = [n for n, m in model.named_modules() if _drops(m)]
    if not names:
        return []
    shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
    share = "micro-batch" if parallel == "pipeline" else "rank's slice of the batch"
    return [f"{len(names)} dropout layer(s) with p > 0 ({shown}) draw their masks for each {share}, not for the "
            "global batch as the one-process run does, so the losses differ from the one-process run's"]


def _drops(module: Any) -> bool:
    """Whether `module` itself draws dropout masks in training (p > 0), by a layer or by a float attribute."""
    from torch import nn

    if isinstance(module, nn.modules.dropout._DropoutNd):
        return module.p > 0
    if isinstance(module, nn.RNNBase):  # between stacked layers only (torch.nn.LSTM docs, `dropout`)
        return module.dropout > 0 and module.num_layers > 1
    if isinstance(module, nn.MultiheadAttention):  # on the attention weights (F.multi_head_attention_forward)
        return module.dropout > 0
    return False


def check_divisible(batch_size: int, parts: int, what: str) -> None:
    if batch_size % parts:
        raise InputError(f"global batch {batch_size} does not split into {parts} equal {what}",
                         f"pass --batch-size a multiple of {parts} (or change --nproc / --microbatches)")


def pipeline_layers(model: Any) -> list[Any]:
    """The model as an ordered list of modules whose composition is its forward: the children of an
    nn.Sequential, or what the model's own `pipeline_layers()` returns (the zoo's GPT/BERT define it)."""
    from torch import nn

    if isinstance(model, nn.Sequential):
        # its forward calls every entry in turn, a module placed twice (a loop sharing one layer) twice; children()
        # lists such a module once, and the stages trained a shorter model than the one-process run
        return list(model)
    fn = getattr(model, "pipeline_layers", None)
    if callable(fn):
        named = SimpleNamespace(name=type(model).__name__)  # user_call names the model by its .name
        return _checked_layers(type(model).__name__, user_call(named, "in its pipeline_layers()", fn))
    raise InputError(f"model {type(model).__name__} cannot be split into pipeline stages",
                     "make it a torch.nn.Sequential, or give it a pipeline_layers() method returning the modules "
                     "whose composition is its forward (see the README, profile --parallel pipeline); or run "
                     "--parallel ddp or fsdp, which take any model (a Hugging Face config's model among them)")


def sequential_calls(model: Any) -> bool:
    """Whether the pipeline's layers are called as nn.Sequential's forward calls them, each on the previous one's
    output as one argument (call_layer): the layers of an nn.Sequential; a pipeline_layers() model's are called on
    the previous one's outputs unpacked, layer(*outputs), its documented convention."""
    from torch import nn

    return isinstance(model, nn.Sequential)


def call_layer(layer: Any, x: Any, *, packed: bool, inputs: bool) -> Any:
    """One layer of the pipeline's composition on `x`: the model's inputs (`inputs`, a tuple: model(*inputs)) or the
    previous layer's output. `packed` (an nn.Sequential, sequential_calls): the output is passed as nn.Sequential's
    forward passes it, one argument, a tuple as a tuple (a layer returning (a, b) into one taking the pair ran in one
    process and was refused by the partitioner, 'takes 2 positional arguments but 3 were given'); else unpacked,
    layer(*outputs)."""
    return layer(x) if packed and not inputs else layer(*as_tuple(x))


def _checked_layers(model: str, layers: Any) -> list[Any]:
    """What a model's pipeline_layers() returned, as a list of modules; an InputError naming what is wrong (None, or
    an item that is not an nn.Module, such as torch.relu: each ended the run in a traceback)."""
    from torch import nn

    where = f"{model}.pipeline_layers()"
    fix = ("return a list of the nn.Module layers whose composition is the forward, in order (a function such as "
           "torch.relu as a module: nn.ReLU()); or run --parallel ddp or fsdp, which take any model")
    if isinstance(layers, nn.ModuleList | nn.Sequential):  # its modules in order, as list() of it always gave
        layers = list(layers)
    if isinstance(layers, nn.Module) or not isinstance(layers, Iterable) or isinstance(layers, str | bytes | dict):
        raise InputError(f"{where} returned a {type(layers).__name__}, not a list of layers", fix)
    out = list(layers)
    for i, layer in enumerate(out):
        if not isinstance(layer, nn.Module):
            what = (f"the function {layer.__name__!r}" if callable(layer) and hasattr(layer, "__name__")
                    else f"a {type(layer).__name__}")
            raise InputError(f"{where}[{i}] is {what}, not an nn.Module: a pipeline stage holds modules, whose "
                             "parameters it trains", fix)
    return out


def check_composition(model: Any, layers: list[Any], inputs: tuple[Any, ...]) -> None:
    """Refuse layers whose composition, as the pipeline's stages run them (stage_module: layer(*outputs) in turn),
    does not compute the model's forward on `inputs` (one micro-batch): a pipeline_layers() that leaves out a layer,
    loses a residual or returns a module the forward does not use trains another model than the one-process run, and
    nothing else says so (its losses just differ). Compared in eval mode without gradients (dropout off, batch norm on
    its running statistics, the same in both; each from the same random state, as a forward may draw noise in
    eval mode), with every module's training flag, buffer and torch's random state put back. Tolerance: relative
    sqrt(eps) of the output's dtype (fp32: 3.5e-4) of the largest output magnitude; a changed composition moves
    outputs by O(1) of their size, a reordered float sum by a few eps."""
    import torch

    modules = {id(m): m for root in [model, *layers] for m in root.modules()}.values()
    training = [(m, m.training) for m in modules]
    buffers = [(b, b.detach().clone()) for m in modules for b in m.buffers(recurse=False)]
    try:
        with torch.random.fork_rng(), torch.no_grad():
            for m, _ in training:
                m.eval()
            with torch.random.fork_rng():  # both from the same random state: a forward may draw noise in eval
                want = split_output(model(*inputs))[0]
            got = split_output(stage_module(layers, packed=sequential_calls(model))(*inputs))[0]
    except Exception:  # the user's code failed: the partitioner's timing of each layer names it
        return
    finally:
        for m, flag in training:
            m.train(flag)
        with torch.no_grad():
            for b, saved in buffers:
                b.copy_(saved)
    _compare_outputs(type(model).__name__, want, got)


def _compare_outputs(model: str, want: list[Any], got: list[Any]) -> None:
    import torch

    fix = ("make pipeline_layers() return, in order, the modules whose composition (each called on the previous "
           "one's outputs) is the forward, residual additions and activations included (as modules); or run "
           "--parallel ddp or fsdp, which run the forward itself")
    shapes = [tuple(t.shape) for t in want], [tuple(t.shape) for t in got]
    if shapes[0] != shapes[1]:
        raise InputError(f"the layers of {model}.pipeline_layers() composed give outputs of shapes {shapes[1]}, its "
                         f"forward {shapes[0]}: the pipeline would train another model than the forward", fix)
    for k, (a, b) in enumerate(zip(want, got, strict=True)):
        if not (a.is_floating_point() and b.is_floating_point()):
            same = torch.equal(a, b)
            miss = 0.0 if same else 1.0
        else:
            scale = float(a.abs().max()) if a.numel() else 0.0
            miss = float((a.float() - b.float()).abs().max()) / scale if a.numel() and scale > 0 else 0.0
            same = miss <= torch.finfo(a.dtype).eps ** 0.5
        if not same:
            raise InputError(f"the layers of {model}.pipeline_layers() composed do not compute its forward: output "
                             f"{k} differs by {miss:.3g} of its largest magnitude on the first micro-batch (eval "
                             "mode): the pipeline would train another model than the one-process run", fix)


def stage_module(layers: list[Any], in_spec: Any = None, flatten_out: bool = False, split_last: bool = False,
                 packed: bool = False, first: bool = True) -> Any:
    """The layers of one pipeline stage as one module, called as the partitioner times them (call_layer): each layer
    on the previous one's outputs unpacked, layer(*outputs), so a first layer taking several inputs (model(x, z)) or
    layers passing tuples work; the layers of an nn.Sequential (`packed`) each on the previous one's output as one
    argument, as its forward calls them, the first stage's (`first`) first layer on the model's inputs. A later
    stage of an nn.Sequential is given `in_spec` even for a flat edge, so that a tensor and a tuple of one arrive as
    they left.

    torch's pipeline stages pass tensors only (a dict argument is refused: "All stage args must be tensors"), so a
    stage whose inputs hold a dict or nested tuples receives them flat and rebuilds them with `in_spec` (the pytree
    spec of its inputs, see flat_spec), and a stage whose outputs are not flat returns them flattened
    (`flatten_out`) for the next stage to rebuild. The last stage's output, which torch checks as it checks a stage's
    (a dataclass was "Stage args must be a tensor, tuple, or list of tensors, got Out"), leaves it as its tensors
    (`split_last`, split_output), rebuilt by its rebuild function before the loss sees it.

    What crosses a stage edge is contiguous, both ways: gloo sends and receives contiguous tensors only, and torch's
    schedule allocates each receive buffer with the strides of the tensor sent into it (found by running the stage
    once), so a stage ending in a transposed view (nn.LSTM(batch_first=True)'s output on a CPU), or one whose input's
    gradient is one (a stage starting with x.transpose(1, 2)), crashed a rank with 'input tensor has to be
    contiguous'. Its outputs leave it contiguous, and a hook makes the gradient of each input contiguous."""
    import torch
    from torch import nn
    from torch.utils import _pytree as pytree  # torch's own (the pipelining schedules split inputs with it)

    class Stage(nn.Module):
        def __init__(self, parts: list[Any]) -> None:
            super().__init__()
            self.layers = nn.ModuleList(parts)

        def forward(self, *args: Any) -> Any:
            for a in args:  # a receive buffer is reused from step to step: one hook each
                if isinstance(a, torch.Tensor) and a.requires_grad and not hasattr(a, "_accelopt_contiguous_grad"):
                    a.register_hook(lambda grad: grad.contiguous())
                    a._accelopt_contiguous_grad = True  # type: ignore[attr-defined]
            out: Any = pytree.tree_unflatten(list(args), in_spec) if in_spec is not None else args
            for k, layer in enumerate(self.layers):
                out = call_layer(layer, out, packed=packed, inputs=first and k == 0)
            if split_last:
                return tuple(split_output(out)[0])
            return on_tensors(tuple(pytree.tree_leaves(out)) if flatten_out else out, lambda t: t.contiguous())

    return Stage(layers)


def split_output(obj: Any) -> tuple[list[Any], Callable[[Iterator[Any]], Any]]:
    """(the tensors in a model's output, in order; a function rebuilding the output from an iterator over tensors in
    that order): through tuples, lists, named tuples, dicts (Hugging Face's ModelOutput) and dataclasses, which
    torch's pytree takes as one leaf; anything else (a None field, a number) is kept as it was. The loss function
    gets the model's output as the model returned it."""
    import copy
    import dataclasses

    import torch

    if isinstance(obj, torch.Tensor):
        return [obj], next
    if isinstance(obj, tuple | list | dict) or (dataclasses.is_dataclass(obj) and not isinstance(obj, type)):
        keys: list[Any]
        if isinstance(obj, dict):
            keys, values = list(obj), list(obj.values())
        elif isinstance(obj, tuple | list):
            keys, values = list(range(len(obj))), list(obj)
        else:
            keys = [f.name for f in dataclasses.fields(obj)]
            values = [getattr(obj, k) for k in keys]
        parts = [split_output(v) for v in values]

        def rebuild(it: Iterator[Any]) -> Any:
            new = [make(it) for _, make in parts]
            if isinstance(obj, tuple) and hasattr(obj, "_fields"):
                return type(obj)(*new)
            if isinstance(obj, tuple | list):
                return type(obj)(new)
            out: Any = copy.copy(obj)
            for k, v in zip(keys, new, strict=True):
                if isinstance(obj, dict):
                    out[k] = v
                else:
                    object.__setattr__(out, k, v)  # frozen dataclasses too
            return out

        return [t for leaves, _ in parts for t in leaves], rebuild
    return [], lambda it: obj


def is_flat(obj: Any) -> bool:
    """A tensor, or a tuple/list of tensors: what torch's pipeline stages pass between them as it is."""
    import torch

    return isinstance(obj, torch.Tensor) or (isinstance(obj, tuple | list)
                                             and all(isinstance(o, torch.Tensor) for o in obj))


def flat_spec(obj: Any, what: str) -> Any:
    """The pytree spec of `obj` (inputs or a stage's outputs, any nesting of tuples, lists and dicts) when it is
    not flat (is_flat), else None; an InputError when it holds something other than tensors, which no pipeline
    stage can pass on. `what` names it, plural ('the model's inputs', 'the outputs of layer 3:Linear')."""
    import torch
    from torch.utils import _pytree as pytree

    leaves, spec = pytree.tree_flatten(obj)
    odd = [type(x).__name__ for x in leaves if not isinstance(x, torch.Tensor)]
    if odd:
        raise InputError(f"{what} hold a {odd[0]} beside tensors; pipeline "
                         "stages pass tensors only (torch.distributed.pipelining)",
                         "make them tensors (or a dict/tuple of tensors), keep other values inside the model, or "
                         "use --parallel ddp or fsdp")
    return None if is_flat(obj) else spec


def stage_args(inputs: tuple[Any, ...], in_spec: Any) -> tuple[Any, ...]:
    """The first stage's arguments for torch's schedule: `inputs` as they are (in_spec None), else their tensors
    flat, in the order stage_module rebuilds them; an InputError when a batch's structure differs from the first
    batch's, which the stages were built for."""
    from torch.utils import _pytree as pytree

    if in_spec is None:
        return inputs
    leaves, spec = pytree.tree_flatten(inputs)
    if spec != in_spec:
        raise InputError("a training batch's inputs differ in structure from the first batch's (other dict keys or "
                         "nesting); the pipeline stages were built for the first batch's",
                         "make batches() yield inputs of one structure, or use --parallel ddp or fsdp")
    return tuple(leaves)


def tied_spans(modules: list[Any]) -> list[tuple[int, int]]:
    """(first, last) index of the modules that hold one same parameter (tied weights, e.g. an output head sharing
    the embedding's weight), one span per shared parameter; [] when no parameter is held by two of them."""
    owners: dict[int, set[int]] = {}
    for i, m in enumerate(modules):
        for p in m.parameters():
            owners.setdefault(id(p), set()).add(i)
    return sorted({(min(o), max(o)) for o in owners.values() if len(o) > 1})


def fsdp_units(model: Any) -> list[Any]:
    """Submodules to shard one by one before the root: the children of an nn.Sequential, else every member of
    a ModuleList (transformer blocks); FSDP gathers each unit's weights just before it runs. A submodule sharing a
    parameter with a module outside it (tied weights) is left to the root, which shards the shared parameter once:
    fully_shard refuses a parameter another FSDP group already manages."""
    from torch import nn

    if isinstance(model, nn.Sequential):
        units = [m for m in model.children() if any(True for _ in m.parameters())]
    else:
        units = [c for m in model.modules() if isinstance(m, nn.ModuleList)
                 for c in m if any(True for _ in c.parameters())]
    holders: dict[int, set[int]] = {}  # parameter -> the modules holding it directly
    for m in model.modules():
        for p in m.parameters(recurse=False):
            holders.setdefault(id(p), set()).add(id(m))
    kept = [u for u in units if not _shares_outside(u, holders)]
    # outermost units only: a ModuleList inside a block (a Hugging Face T5Block's `layer`) listed the block and then
    # its layers, and fully_shard on a layer whose parameters the block's group already holds crashed every rank
    # ("Invariant encountered: value was None", torch 2.x _init_sharding_spec_tp)
    inner = {id(m) for u in kept for m in u.modules() if m is not u}
    # each once: a ModuleList may hold one block twice (a loop reusing it), and fully_shard applied to a module a
    # second time crashed every rank ("can only be applied to a module once")
    return list({id(u): u for u in kept if id(u) not in inner}.values())


def _shares_outside(unit: Any, holders: dict[int, set[int]]) -> bool:
    inside = {id(m) for m in unit.modules()}
    return any(holders[id(p)] - inside for p in unit.parameters())
