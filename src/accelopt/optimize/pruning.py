"""Pruning: remove weights, then (optionally) fine-tune briefly to recover quality.

- prune-structured: the torch-pruning library (Fang et al., "DepGraph: Towards Any Structural Pruning", CVPR
  2023) builds the dependency graph of the model, and removes whole output channels of convolutions and
  neurons of hidden Linear layers, with every layer coupled to them (the next layer's inputs, norms,
  residual partners), ranked by the L2 norm of their weights. The model really shrinks: fewer parameters,
  fewer FLOPs (counted with torch.utils.flop_counter.FlopCounterMode), so dense kernels run faster. Then a
  short fine-tune on the bundle's batches within the time budget.
  Never pruned: the output layer (the model's output channels: a Linear's last dimension, a conv's dim 1),
  embeddings, and any group whose trial removal breaks the forward pass (e.g. a fused q/k/v projection split by a
  fixed head size: pruning it would need the attention code to change too); those are listed in the notes.
  nn.MultiheadAttention heads are handled by torch-pruning itself (whole head dimensions).
- prune-unstructured: global magnitude pruning (torch.nn.utils.prune.global_unstructured, L1) of
  Linear/Conv weights to a target sparsity, then the masks made permanent. Reported honestly: the sparsity
  reached, the file size (dense: unchanged; zeros compress, the compressed size is in the notes), and that
  dense kernels do not get faster: the same FLOPs run on zeros.
- sparse-2-4: 2:4 semi-structured sparsity (two of every four consecutive weights along the input dimension
  zeroed, by magnitude) stored with torch.sparse.to_sparse_semi_structured, run by cuSPARSELt/CUTLASS sparse
  tensor cores; needs a CUDA GPU of compute capability 8.0+ and fp16/bf16 weights (Mishra et al. 2021,
  "Accelerating Sparse Deep Neural Networks", arXiv:2104.08378).
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import importlib.metadata
import io
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from accelopt.errors import UnsupportedError
from accelopt.optimize.base import OptionSpec, Target, Technique, Variant, applicable_of, get_technique, register
from accelopt.optimize.compress import (
    already_quantized,
    copy_model,
    evaluate,
    first_tensor,
    forward_flops,
    model_variant,
    output_tensors,
    param_count,
    quality_text,
    state_dict_bytes,
    state_dict_saver,
    tied_groups,
    train_for,
)
from accelopt.optimize.steps import mark_structural, user_names
from accelopt.workload.batch import model_device, to_device
from accelopt.workload.userfile import ModelBundle, as_tuple

__all__ = [
    "SemiStructured24",
    "StructuredPrune",
    "UnstructuredPrune",
    "conv1d_as_linear",
    "conv1d_type",
    "linear_as_conv1d",
    "mask_2_4",
    "output_layers",
    "prune_structured",
    "weight_sparsity",
]


TP_TESTED = ((1, 6, 1), (1, 7))
"""The torch-pruning versions prune_structured was tested with, from the first up to (not with) the second: it reads
the library's internals (MetaPruner.DG and its dependency groups in _feeding_shared, Conv1D having no pruner), which
1.6.1 has (the version in the dev venv). pyproject.toml's optional dependency says the same (TP_REQUIREMENT)."""
TP_REQUIREMENT = f"torch-pruning>={'.'.join(map(str, TP_TESTED[0]))},<{'.'.join(map(str, TP_TESTED[1]))}"


def _import_tp() -> Any:
    import importlib.metadata
    import re

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import torch_pruning as tp
    except ImportError as e:
        raise UnsupportedError(f"torch-pruning cannot be imported ({e})", f"pip install '{TP_REQUIREMENT}'") from e
    try:  # the distribution's version: torch_pruning.__version__ of 1.6.1 reads 1.6.0
        version = importlib.metadata.version("torch-pruning")
    except importlib.metadata.PackageNotFoundError:  # a source checkout on the path: its internals unknown
        version = "unknown"
    parts = tuple(int(x) for x in re.findall(r"\d+", version)[:3])
    if not parts or not TP_TESTED[0] <= parts < TP_TESTED[1]:
        raise UnsupportedError(f"torch-pruning {version} is installed; prune-structured reads its internals "
                               f"(MetaPruner's dependency graph) and was tested with {TP_REQUIREMENT}",
                               f"pip install '{TP_REQUIREMENT}', or skip prune-structured")
    return tp


def _output_shape(model: Any, inputs: tuple[Any, ...]) -> tuple[int, ...] | None:
    """The model's output shape past the batch dimension (its first tensor's: the logits of a tuple or ModelOutput);
    () for a one-value-per-sample output, None for none."""
    import torch

    with torch.no_grad():
        out = first_tensor(model(*inputs))  # a (logits, aux) tuple or a Hugging Face ModelOutput: the logits
    return tuple(int(d) for d in out.shape[1:]) if out is not None and out.dim() > 0 else None


def _output_shapes(model: Any, inputs: tuple[Any, ...]) -> list[tuple[int, ...]]:
    """The shape past the batch dimension of every Tensor in the model's output (compress.output_tensors: a
    (logits, boxes) tuple's both). A detector's (B, 4) box head was taken for a hidden layer, as only the logits'
    shape was looked at: pruned to 2 columns, the fine-tune then failed in the user's loss_fn ('The size of tensor a
    (2) must match the size of tensor b (4)'), the error sending the user to their own model."""
    import torch

    with torch.no_grad():
        return [tuple(int(d) for d in t.shape[1:]) for t in output_tensors(model(*inputs))]


def _never_pruned(model: Any, out_shape: tuple[int, ...] | None,
                  inputs: tuple[Any, ...] | None = None) -> list[Any]:
    """Embeddings and the layers whose channels are the model's output (output_layers)."""
    from torch import nn

    return [m for m in model.modules() if isinstance(m, nn.Embedding)] + output_layers(model, out_shape, inputs)


def output_layers(model: Any, out_shape: tuple[int, ...] | None, inputs: tuple[Any, ...] | None = None) -> list[Any]:
    """The Linear/Conv layers whose channels are the model's output (the classifier / vocabulary head, a segmenter's
    per-pixel class conv), which prune-structured keeps whole and sparse-2-4 keeps dense.

    A layer is a candidate when it produces the output's width where its own output puts its channels: a Linear's
    on the last dimension, a conv's on dim 1 (torch's (N, C, ...) layout: a (B, classes, H, W) segmentation map, a
    pooled (B, C)). Judged by the last dimension alone, a U-Net's 3-class 1x1 output conv on 32x32 images was
    pruned (its 32-channel hidden convs kept whole as if they were the output), and the fine-tune failed with
    cross_entropy's 'Target 1 is out of bounds' (ut3opt trial); a conv output moved to the last dimension ((B, T, C)
    from a Conv1d) is not found so, and the check after pruning refuses the changed output shape. With
    `inputs`, a candidate is kept only when pruning its out channels on a throwaway copy changes the output's
    shape (or fails): a hidden layer that merely has that width (a transformer's 64-neuron feed-forward under a
    64-token vocabulary) is not the output layer. Judged by width alone, such a model was 'nothing could be pruned
    structurally', and sparse-2-4 left its hidden layer dense. Without torch-pruning (the trial's tool), by width
    alone."""
    from torch import nn

    shapes = [out_shape] if out_shape else []
    if inputs is not None:  # every Tensor of the output: a (logits, boxes) model's box head is an output layer too
        shapes += [s for s in _output_shapes(model, inputs) if s]
    last = {s[-1] for s in shapes if s}
    first = {s[0] for s in shapes if s}  # dim 1 of the output: a (B, C) output's last too

    def output_like(m: Any) -> bool:
        if isinstance(m, nn.Linear):
            return bool(m.out_features in last)
        return isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)) and m.out_channels in first

    candidates = [m for m in model.modules() if output_like(m)]
    reshaped = [] if inputs is None else [m for m in _reshaped_into_output(model, inputs)
                                          if not any(m is c for c in candidates)]
    if inputs is None or len(candidates) < 2:
        return candidates + reshaped
    try:
        _import_tp()
    except UnsupportedError:
        return candidates + reshaped
    # torch-pruning finds layers through grad_fn (_grad_traced); its 'Unwrapped parameters' warnings: prune_structured
    with _grad_traced(model), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [m for m in candidates if _feeds_output(model, inputs, m, out_shape)] + reshaped


def _reshaped_into_output(model: Any, inputs: tuple[Any, ...]) -> list[Any]:
    """The Linear/Conv layers whose own output, reshaped, is one of the model's output Tensors (the same values): a
    1-wide head squeezed to (B,), which the widths above cannot find (a (B,) output has none). Such a head was kept
    whole only as a layer whose pruning 'broke the forward pass (e.g. q/k/v split by a fixed width)' (ut4opt). On
    the meta device (no values to compare) none."""
    import torch
    from torch import nn

    seen: list[tuple[Any, Any]] = []

    def hook(m: Any, args: Any, out: Any) -> None:
        if isinstance(out, torch.Tensor):
            seen.append((m, out.detach()))

    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d))]
    handles = [m.register_forward_hook(hook) for m in layers]
    try:
        with torch.no_grad():
            outs = output_tensors(model(*inputs))
    finally:
        for h in handles:
            h.remove()
    found: list[Any] = []
    for m, t in seen:
        if any(o.numel() == t.numel() and not o.is_meta and torch.equal(o.reshape(-1), t.reshape(-1))
               for o in outs) and not any(m is f for f in found):
            found.append(m)
    return found


def _feeds_output(model: Any, inputs: tuple[Any, ...], layer: Any, out_shape: tuple[int, ...] | None) -> bool:
    """Whether pruning one out channel of `layer` (on a copy) changes the model's output shape, or cannot be
    tried: then the layer's channels are the output's, kept whole."""
    tp = _import_tp()
    names = {id(m): n for n, m in model.named_modules()}
    before = _output_shapes(model, inputs)
    trial = copy.deepcopy(model)
    try:
        dg = tp.DependencyGraph().build_dependency(trial, example_inputs=inputs, output_transform=output_tensors)
        target = trial.get_submodule(names[id(layer)])
        group = dg.get_pruning_group(target, dg.get_pruner_of_module(target).prune_out_channels, idxs=[0])
        group.prune()
        return _output_shape(trial, inputs) != out_shape or _output_shapes(trial, inputs) != before
    except Exception:  # torch-pruning cannot cut it alone, or the forward breaks: keep it whole, as before
        return True


def conv1d_type() -> Any:
    """transformers' Conv1D class (GPT-2's and GPT's layers: `x @ W + b`, weight stored (in, out), the transpose of
    nn.Linear's) when transformers is imported, else None: a model holding one has imported it."""
    return getattr(sys.modules.get("transformers.pytorch_utils"), "Conv1D", None)


def conv1d_as_linear(model: Any) -> dict[str, Any]:
    """Replace every transformers Conv1D of `model` (in place) by an nn.Linear computing the same: weight W.T
    (out, in), the same bias, device, dtype, requires_grad and train/eval mode. Returns {name: the Conv1D taken out}
    for linear_as_conv1d. torch-pruning 1.6.1 has no pruner for Conv1D (none in its code), so its dependency graph
    stopped at them and a Hugging Face GPT-2 was 'nothing could be pruned structurally'. Exact: the Linear's output
    equals the Conv1D's bit for bit (tests/test_optimize_prune_conv1d.py). A Conv1D whose weight another module
    shares is left as it is (its holders would part)."""
    from torch import nn

    conv1d = conv1d_type()
    if conv1d is None:
        return {}
    holders: dict[int, int] = {}
    for m in model.modules():
        for p in m.parameters(recurse=False):
            holders[id(p)] = holders.get(id(p), 0) + 1
    taken: dict[str, Any] = {}
    for name, m in list(model.named_modules()):
        if not name or not isinstance(m, conv1d) or holders.get(id(m.weight), 0) > 1 or m.weight.dim() != 2:
            continue
        lin = nn.Linear.__new__(nn.Linear)  # not Linear(in, out): its init would draw from torch's generator
        nn.Module.__init__(lin)
        lin.in_features, lin.out_features = m.weight.shape
        lin.weight = nn.Parameter(m.weight.detach().t().contiguous(), requires_grad=m.weight.requires_grad)
        lin.register_parameter("bias", None if m.bias is None
                               else nn.Parameter(m.bias.detach().clone(), requires_grad=m.bias.requires_grad))
        lin.train(m.training)
        _set_submodule(model, name, lin)
        taken[name] = m
    return taken


def linear_as_conv1d(model: Any, taken: dict[str, Any]) -> None:
    """Put back each Conv1D that conv1d_as_linear took out, with the (pruned) Linear's parameters transposed back
    and its `nf` (output width) set to the Linear's: the model keeps its own classes (its code, --save's file)."""
    from torch import nn

    for name, conv in taken.items():
        lin = model.get_submodule(name)
        conv.weight = nn.Parameter(lin.weight.detach().t().contiguous(), requires_grad=lin.weight.requires_grad)
        if lin.bias is not None:
            conv.bias = nn.Parameter(lin.bias.detach(), requires_grad=lin.bias.requires_grad)
        conv.nf = lin.out_features
        _set_submodule(model, name, conv)


def _set_submodule(model: Any, name: str, module: Any) -> None:
    parent, _, attr = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, attr, module)


def has_prunable_layer(model: Any) -> bool:
    """The model holds a layer torch-pruning starts from (Linear, Conv, MultiheadAttention; a GPT-2 Conv1D, pruned as
    a Linear): without one, nothing can be pruned structurally nor narrowed into a student."""
    roots = tuple(_root_types() + [t for t in [conv1d_type()] if t is not None])
    return any(isinstance(m, roots) for m in model.modules())


def recurrent_note(model: Any) -> str:
    """'' where `model` has no recurrent layer; else why its nn.RNN / nn.GRU / nn.LSTM layers are never pruned, for
    the 'nothing could be pruned' errors (a GRU text classifier read 'every group is an output layer, an embedding,
    or breaks the forward', unsaid that its GRU was never a candidate; ut3opt trial). From torch-pruning's source at
    the installed version (1.6.1, the wheel's torch_pruning/ops.py and pruner/function.py): ops.module2type maps
    nn.LSTM alone among them to a pruner (OPTYPE.LSTM); an nn.GRU or nn.RNN gets none (its weights are 'unwrapped
    parameters'), which is read here from that version's PrunerBox, not assumed. Its LSTMPruner is not a group root
    here (_root_types): its prune_out_channels indexes weight_ih_l0's input dim (1) by the 4 gates' hidden indices,
    'IndexError: index out of range in self' on an nn.LSTM(16, 32) (tests/test_prune_structured_recurrent.py), and it
    asserts num_layers == 1."""
    from torch import nn

    rnns = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.RNNBase)]
    if not rnns:
        return ""
    try:
        tp = _import_tp()
        version = importlib.metadata.version("torch-pruning")
        no_pruner = {n for n, m in rnns if tp.ops.module2type(m) not in tp.pruner.function.PrunerBox}
    except (UnsupportedError, importlib.metadata.PackageNotFoundError, AttributeError):
        return ""
    names = ", ".join(f"{n} ({type(m).__name__})" for n, m in rnns)
    kinds = sorted({type(m).__name__ for n, m in rnns if n in no_pruner})
    why = [f"torch-pruning {version} has no pruner for nn.{' or nn.'.join(kinds)}"] if kinds else []
    if len(no_pruner) < len(rnns):
        why.append(f"torch-pruning's LSTM pruner is not used (in {version} it fails on a one-layer nn.LSTM, "
                   "indexing the input weights by the gates' hidden units, and takes no multi-layer one)")
    layers = f"layers {names} are" if len(rnns) > 1 else f"layer {names} is"
    return f"; its recurrent {layers} never pruned: {'; '.join(why)}"


def prunes_below_output(bundle: ModelBundle) -> bool:
    """A cheap look (one forward on the first batch) for what prune-structured would remove: a prunable layer
    (has_prunable_layer's) that is not output-like (output_layers by width alone, without torch-pruning's trial).
    sparse-2-4's CPU reason offered prune-structured on a tied-embedding LSTM whose one Linear is its vocabulary
    head, and prune-structured then found 'nothing in tied-lstm could be pruned structurally' (utplan2 trial). By
    width alone a hidden layer of the output's width counts as output-like, so this may say False where
    prune-structured would prune something: the offer is left out then, never made where it cannot hold."""
    roots = tuple(_root_types() + [t for t in [conv1d_type()] if t is not None])
    model = bundle.model
    was_training = model.training
    model.eval()  # no BatchNorm statistics moved, no dropout draw taken before the baseline runs
    try:
        shape = _output_shape(model, to_device(bundle.first_batch()[0], model_device(model)))
    except Exception:  # the model's own forward failing: the run says so; no offer meanwhile
        return False
    finally:
        model.train(was_training)
    out = {id(m) for m in output_layers(model, shape)}
    return any(isinstance(m, roots) and id(m) not in out for m in model.modules())


def _root_types() -> list[Any]:
    from torch import nn

    return [nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear, nn.MultiheadAttention]


def _heads(model: Any) -> dict[Any, int]:
    from torch import nn

    return {m: m.num_heads for m in model.modules() if isinstance(m, nn.MultiheadAttention)}


def _breaking_roots(model: Any, inputs: tuple[Any, ...], ignored: list[Any], ratio: float) -> list[str]:
    """Names of the group roots whose removal (of `ratio` of their channels, alone) breaks the forward pass:
    found by trying each group on a throwaway copy."""
    tp = _import_tp()
    names = {id(m): n for n, m in model.named_modules()}
    probe = copy.deepcopy(model)
    dg = tp.DependencyGraph().build_dependency(probe, example_inputs=inputs, output_transform=output_tensors)
    probe_ignored = [dict(probe.named_modules())[names[id(m)]] for m in ignored]
    roots = [g[0][0].target.module for g in dg.get_all_groups(ignored_layers=probe_ignored,
                                                              root_module_types=_root_types())]
    probe_names = {id(m): n for n, m in probe.named_modules()}
    root_names = [probe_names[id(r)] for r in roots]
    bad: list[str] = []
    for name in root_names:
        trial = copy.deepcopy(model)
        tdg = tp.DependencyGraph().build_dependency(trial, example_inputs=inputs, output_transform=output_tensors)
        layer = dict(trial.named_modules())[name]
        pruner = tdg.get_pruner_of_module(layer)
        n_out = pruner.get_out_channels(layer)
        k = max(1, int(n_out * ratio))
        group = tdg.get_pruning_group(layer, pruner.prune_out_channels, idxs=list(range(k)))
        try:
            group.prune()
            _output_shape(trial, inputs)
        except Exception:
            bad.append(name)
    return bad


class _Late(BaseException):
    """Raised by the SIGALRM handler of _time_limit (a BaseException: the `except Exception` around each trial
    pruning must not swallow it)."""


@contextlib.contextmanager
def _time_limit(seconds: float | None, what: str, fix: str) -> Iterator[None]:
    """UnsupportedError when the block runs past `seconds` (SIGALRM, so a pure-Python loop is stopped too; main
    thread on POSIX only, elsewhere no limit). torch-pruning's dependency analysis did not end on a Hugging Face
    Llama (examples/hf_tiny_llama cut to one layer: get_all_groups still running after 120 s, torch-pruning 1.6.1),
    and ran optimize far past --budget-min."""
    if (seconds is None or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    fired: list[bool] = []

    def on_alarm(signum: int, frame: Any) -> None:
        fired.append(True)
        raise _Late

    late = UnsupportedError(f"{what} did not finish within {seconds:.1f} s (half this technique's time budget)", fix)
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield
    except _Late:
        raise late from None
    except Exception as e:
        # torch-pruning 1.6.1's _trace (dependency/graph.py) calls model(*inputs) under a bare `except:` that then
        # calls model(inputs): the alarm caught there surfaced as the model's 'conv2d() received an invalid
        # combination of arguments' (a U-Net on a busy machine, ut3opt trial)
        if fired:
            raise late from e
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def _grad_traced(model: Any) -> Iterator[None]:
    """Every parameter requires grad inside the block, each put back as it was after (by name: pruning replaces the
    Parameters). torch-pruning finds the layers by tracing the forward's autograd graph (grad_fn), which a frozen
    layer (requires_grad False, as an inference-only model often is) does not enter: a model frozen whole was
    'nothing could be pruned structurally', and distill's student 'nothing could be narrowed'."""
    flags = {n: p.requires_grad for n, p in model.named_parameters()}
    for p in model.parameters():
        if p.is_floating_point() or p.is_complex():  # an integer tensor cannot require grad
            p.requires_grad_(True)
    try:
        yield
    finally:
        for n, p in model.named_parameters():
            p.requires_grad_(flags.get(n, True))


STUDENT_FIX = "use prune-unstructured, or give distill a smaller student as ModelBundle.meta['student']"


@dataclass(frozen=True)
class StructuredPruning:
    """What prune_structured did to a model (pruned in place)."""

    model: Any
    broke_forward: list[str]
    """Layers kept whole because pruning them alone broke the forward pass (e.g. q/k/v split by a fixed width)."""
    never_pruned: list[str]
    """Layers never pruned: the output layer, embeddings ('?' for a module with no name in the model)."""
    feeding_shared: list[str]
    """Layers kept whole because they feed a weight shared by two or more modules (_feeding_shared): pruning them
    would cut its holders differently."""


def prune_structured(model: Any, inputs: tuple[Any, ...], ratio: float, *, round_to: int | None = None,
                     time_limit_s: float | None = None, fix: str = STUDENT_FIX) -> StructuredPruning:
    """Prune `ratio` of the channels/neurons of every prunable group of `model` in place (torch-pruning,
    L2-magnitude importance); says which layers it kept whole and why. `time_limit_s` bounds torch-pruning's
    analysis (UnsupportedError past it, with `fix`). A Hugging Face GPT-2's Conv1D layers are pruned as the
    nn.Linear they equal (conv1d_as_linear), then put back narrowed."""
    taken = conv1d_as_linear(model)
    try:
        return _prune_linear_form(model, inputs, ratio, round_to, time_limit_s, fix)
    finally:
        linear_as_conv1d(model, taken)


def _prune_linear_form(model: Any, inputs: tuple[Any, ...], ratio: float, round_to: int | None,
                       time_limit_s: float | None, fix: str) -> StructuredPruning:
    tp = _import_tp()
    out_shape = _output_shape(model, inputs)
    out_shapes = _output_shapes(model, inputs)
    ties = tied_groups(model)
    # torch-pruning warns of 'Unwrapped parameters' (a GRU's, a raw nn.Parameter) on each graph it builds, telling
    # the user to 'provide an unwrapped_parameters argument', which accelopt's user cannot: said as MetaPruner's
    with (_time_limit(time_limit_s, "torch-pruning's dependency analysis of the model", fix), _grad_traced(model),
          warnings.catch_warnings()):
        warnings.simplefilter("ignore")
        keep = _never_pruned(model, out_shape, inputs)
        bad = _breaking_roots(model, inputs, keep, ratio)
        modules = dict(model.named_modules())
        holders = _shared_holders(model, ties)
        ignored = keep + [modules[n] for n in bad] + holders
        pruner = tp.pruner.MetaPruner(model, inputs, importance=tp.importance.MagnitudeImportance(p=2),
                                      pruning_ratio=ratio, ignored_layers=ignored, round_to=round_to,
                                      num_heads=_heads(model), root_module_types=_root_types(),
                                      output_transform=output_tensors)
        # only the layers this keeps whole: one already kept (output layer, breaking root, holder) is named once
        fed = [m for m in _feeding_shared(pruner.DG, holders) if not any(m is i for i in ignored)]
        pruner.ignored_layers.extend(fed)
        pruner.step()
    for m, heads in _heads(model).items():  # torch-pruning's documented follow-up for MHA
        m.num_heads = heads
        m.head_dim = m.embed_dim // heads
    _retie(model, ties, fix)
    if (pruned_shape := _output_shape(model, inputs)) != out_shape:
        # a known case: a conv output whose channels the model moves off dim 1 ((B, T, C) from a Conv1d), which
        # output_layers does not take for the output layer (rev3: it was 'report this model', shapes unsaid)
        raise UnsupportedError(f"structured pruning changed the model's output shape (past the batch) from "
                               f"{out_shape} to {pruned_shape}: the layer producing it was not recognised as the "
                               "output layer (a Linear's out_features on the last dimension, a conv's channels on "
                               "dim 1; a conv whose channels the model moves elsewhere is not)",
                               "skip prune-structured (--skip prune-structured), or give a smaller student to "
                               "distill as ModelBundle.meta['student']; report this model to accelopt")
    if (pruned_shapes := _output_shapes(model, inputs)) != out_shapes:
        raise UnsupportedError(f"structured pruning changed the shapes (past the batch) of the model's output "
                               f"Tensors from {out_shapes} to {pruned_shapes}: the layer producing one of them was "
                               "not recognised as an output layer",
                               "skip prune-structured (--skip prune-structured), or give a smaller student to "
                               "distill as ModelBundle.meta['student']; report this model to accelopt")
    names = {id(m): n for n, m in model.named_modules()}
    return StructuredPruning(model, bad, [names.get(id(m), "?") for m in keep],
                             [names[id(m)] for m in fed if names.get(id(m))])  # not torch-pruning's own op nodes


def _shared_holders(model: Any, ties: list[list[str]]) -> list[Any]:
    """The modules holding a weight that is one tensor under two or more names (`ties`, compress.tied_groups):
    ignored as roots, since torch-pruning ranks and cuts each holder's own channels in its own group, with other
    rows removed from each (ALBERT's layer shared across depth became two layers). Not the model itself (a weight
    of its own): torch-pruning ignores every submodule of an ignored module."""
    holders = {name.rpartition(".")[0] for group in ties for name in group}
    return [model.get_submodule(h) for h in sorted(holders) if h]


def _feeding_shared(graph: Any, holders: list[Any]) -> list[Any]:
    """The layers whose output channels torch-pruning would cut together with a shared weight's holder's channels
    (the groups of `graph`, a torch_pruning DependencyGraph, holding a holder): kept whole too. torch-pruning 1.6.1
    couples layers through the traced graph of module inputs and outputs only (dependency/graph.py _trace; a weight
    shared by two modules is two nodes), and Group.prune cuts each module's own Parameter (dependency/group.py), so a
    tied head fed by a layer of its own (emb -> Linear -> Linear -> head = emb.weight, no residual) had its input
    channels cut by that layer's group while the embedding's stayed whole: two shapes, no tie left. With the
    producers kept, both holders keep the shared dimension; a residual model (GPT-2) has them in the embedding's
    group already, which the holders' being ignored leaves unpruned."""
    from torch import nn

    found: list[Any] = []
    for holder in holders:
        pruner = graph.get_pruner_of_module(holder)
        if pruner is None:
            continue
        for cut, count in ((pruner.prune_in_channels, pruner.get_in_channels(holder)),
                           (pruner.prune_out_channels, pruner.get_out_channels(holder))):
            if not count:
                continue
            for dep, _ in graph.get_pruning_group(holder, cut, list(range(count))):
                m = dep.target.module
                # a layer only: torch-pruning's nodes include bare Parameters (T5's LayerNorm weight, used as
                # `self.weight * x`), which `in` compares element by element ('Boolean value of Tensor with more
                # than one value is ambiguous', here and in torch-pruning's own `m in ignored_layers`)
                if (isinstance(m, nn.Module) and graph.is_out_channel_pruning_fn(dep.handler) and m is not holder
                        and not any(m is f for f in found)):
                    found.append(m)
    return found


def _retie(model: Any, ties: list[list[str]], fix: str) -> None:
    """Make each group of `ties` one tensor again. torch-pruning replaces each holder's Parameter on its own, so
    the input channels it cut from a shared weight (a channel of the stream feeding both holders, one group, the
    same indices) left equal copies: the first copy is put back in every holder. Copies that differ were cut by
    different groups (the shared layer fed from two pruned streams) and cannot be one tensor: UnsupportedError."""
    import torch

    for group in ties:
        tensors = [model.get_parameter(name) for name in group]
        if all(t is tensors[0] for t in tensors):
            continue
        if not all(t.shape == tensors[0].shape and torch.equal(t, tensors[0]) for t in tensors):
            rename = user_names(model)  # after bf16's autocast: 'emb.weight', not 'inner.emb.weight'
            raise UnsupportedError(f"structured pruning cut the shared weight {' = '.join(map(rename, group))} "
                                   "differently in "
                                   "each of its holders (different channels removed)", fix)
        for name in group[1:]:
            holder, _, attr = name.rpartition(".")
            setattr(model.get_submodule(holder), attr, tensors[0])


def _instead(bundle: ModelBundle, target: Target) -> str:
    """The fix when prune-structured cannot prune `bundle`'s model: prune-unstructured, and distill only as far as
    it can run here. Its own check (not_applicable) first; then its student: one it derives is this same structured
    pruning of the model (distillation.make_student), which found nothing, so only a student of the user's
    (meta['student']) helps. A raw nn.LSTM's fix read 'use prune-unstructured or distill', and distill then failed
    with 'nothing could be narrowed into a student'."""
    why = get_technique("distill").not_applicable(bundle, target)
    if why:
        return f"use prune-unstructured (distill does not apply here either: {why})"
    if bundle.meta.get("student") is not None:
        return "use prune-unstructured, or distill into the bundle's meta['student']"
    return ("use prune-unstructured, or distill into a smaller student given as ModelBundle.meta['student'] (a "
            "zero-argument factory): the student distill derives is this same structured pruning's")


@register
class StructuredPrune(Technique):
    lossy: ClassVar[bool] = True
    name = "prune-structured"
    option_specs: ClassVar[dict[str, OptionSpec]] = {"ratio": OptionSpec(0.5, float, lo=0.05, hi=0.95),
                                                     "finetune_steps": OptionSpec(200, int, lo=0, hi=1_000_000)}
    recorded_names = ("params_before", "params_after", "forward_flops_before", "forward_flops_after")
    family = "pruning"
    modes = ("train", "inference")
    changes = ("removes a fraction of conv channels and hidden neurons (torch-pruning, dependency-graph aware), "
               "then fine-tunes briefly")
    risks = "quality loss that the short fine-tune may not recover; a smaller model to retrain later"
    composable = True

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target) or already_quantized(bundle, self.name)
        if why:
            return why
        if not has_prunable_layer(bundle.model):
            distill_why = get_technique("distill").not_applicable(bundle, target)
            instead = ("distill into a smaller student given as ModelBundle.meta['student']" if distill_why is None
                       else f"distill does not apply either: {distill_why}")
            return (f"{bundle.name} has no Linear, Conv or MultiheadAttention layer, whose channels structured pruning "
                    f"removes{recurrent_note(bundle.model)} — {instead}")
        try:
            _import_tp()
        except UnsupportedError as e:
            return f"{e.problem} — {e.fix}"
        return None

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        ratio = self.opt(options, "ratio")
        max_steps = self.opt(options, "finetune_steps")
        t0 = time.perf_counter()
        model = copy_model(bundle, target)
        inputs = to_device(bundle.first_batch()[0], target.device)
        params0, flops0 = param_count(model), forward_flops(model, inputs)
        ties = tied_groups(model)
        before_q = evaluate(model, bundle, target.device)
        instead = _instead(bundle, target)
        done = prune_structured(model, inputs, ratio, time_limit_s=target.budget_s / 2, fix=instead)
        kept_whole, never, fed = done.broke_forward, done.never_pruned, done.feeding_shared
        params1, flops1 = param_count(model), forward_flops(model, inputs)
        if params1 >= params0:
            raise UnsupportedError(f"nothing in {bundle.name} could be pruned structurally (every group is an "
                                   "output layer, an embedding, or breaks the forward when pruned)"
                                   + recurrent_note(model), instead)
        pruned_q = evaluate(model, bundle, target.device)
        left_s = max(0.0, target.budget_s - (time.perf_counter() - t0))
        run = (train_for(model, bundle, target, what="in prune-structured's fine-tune", max_steps=max_steps,
                         budget_s=left_s) if max_steps else None)
        tuned_q = evaluate(model, bundle, target.device)
        notes = _structured_notes(ratio, params0, params1, flops0, flops1, before_q, pruned_q, tuned_q, run,
                                  bundle.metric_name)
        rename = user_names(model)  # after another technique's wrapper (bf16's autocast): the user's names
        never = _typed(model, never, rename)
        kept_whole = [rename(n) for n in kept_whole]
        notes.append(f"not pruned: {', '.join(never) or 'nothing'} (output layer / embeddings)"
                     + (f"; {', '.join(kept_whole)} kept whole: pruning them alone broke the forward pass (e.g. "
                        "q/k/v split by a fixed width)" if kept_whole else "")
                     + (f"; {', '.join(rename(n) for n in fed)} kept whole: feeding a shared weight, pruning them "
                        "would cut its holders differently" if fed else ""))
        notes += [f"shared weight kept one tensor: {' = '.join(rename(n) for n in g)} (its holders' own channels not "
                  "pruned: torch-pruning would cut each holder differently)" for g in ties]
        params = {"ratio": ratio, "finetune_steps": run.steps if run else 0, "params_before": params0,
                  "params_after": params1, "forward_flops_before": flops0, "forward_flops_after": flops1}
        return model_variant(self.name, mark_structural(model), bundle, target, setup_s=time.perf_counter() - t0,
                             params=params, notes=notes, trained_steps=run.steps if run else 0)


def _typed(model: Any, names: list[str], rename: Callable[[str], str] = str) -> list[str]:
    """Each layer name (rename: the user's name of it) with its class: a layer of an nn.Sequential is named by its
    index, '8 (Linear)'."""
    modules = dict(model.named_modules())
    return [f"{rename(n)} ({type(modules[n]).__name__})" if n in modules else rename(n) for n in names]


def _structured_notes(ratio: float, params0: int, params1: int, flops0: int, flops1: int, before_q: float | None,
                      pruned_q: float | None, tuned_q: float | None, run: Any, metric: str) -> list[str]:
    notes = [f"ratio {ratio:g} of each prunable group's channels removed (L2 magnitude); output layer and "
             "embeddings kept whole",
             f"parameters {params0:,} -> {params1:,} ({params1 / params0:.1%}); forward FLOPs of the first batch "
             f"{flops0:,} -> {flops1:,} ({flops1 / max(flops0, 1):.1%}) (FlopCounterMode)",
             f"held-out {metric}: dense {quality_text(before_q, metric)}, pruned {quality_text(pruned_q, metric)}, "
             f"after fine-tune {quality_text(tuned_q, metric)}"]
    if run is not None:
        notes.append(f"fine-tune: {run.steps} steps in {run.time_s:.1f} s with the bundle's optimizer"
                     + (" (stopped by the time budget)" if run.stopped_by_budget else "") + run.how())
    return notes


def _prunable_weights(model: Any) -> list[tuple[Any, str]]:
    """(module, 'weight') of every Linear/Conv (a Hugging Face GPT-2's Conv1D too: its blocks' weights, which were
    left dense while the tied head alone was pruned), one entry per weight tensor: a weight tied into two layers is
    pruned, counted and sized once (listing it twice let global pruning give the two holders different masks
    where magnitudes tie at the threshold)."""
    from torch import nn

    kinds = tuple([nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d] + [t for t in [conv1d_type()] if t is not None])
    seen: set[int] = set()
    out = []
    for m in model.modules():
        if isinstance(m, kinds) and id(m.weight) not in seen:
            seen.add(id(m.weight))
            out.append((m, "weight"))
    return out


def _tie_masks(model: Any, pruned: list[tuple[Any, str]]) -> list[str]:
    """Give every other holder of a pruned weight (an embedding whose weight the output layer shares, the usual
    tied lm_head) the same mask over the same tensor, so the tie holds: torch.nn.utils.prune re-registers the
    weight as `weight_orig` on the pruned module only, and the other holder went on using it unmasked (in train
    mode the embedding stayed dense while the head was sparse, and fine-tuning moved them apart). Returns
    'a.weight = b.weight' for each tie kept."""
    from torch.nn.utils import prune

    names = {id(m): n for n, m in model.named_modules()}
    ties = []
    for owner, _ in pruned:
        orig, mask = owner.weight_orig, owner.weight_mask
        for holder in list(model.modules()):
            for pname, p in list(holder._parameters.items()):
                if p is orig and holder is not owner:
                    prune.custom_from_mask(holder, pname, mask)
                    setattr(holder, f"{pname}_mask", mask)  # one mask buffer for the one tensor
                    ties.append(f"{names[id(owner)]}.weight = {names[id(holder)]}.{pname}")
    return ties


def weight_sparsity(model: Any) -> float:
    """Fraction of zeros over the weights of Linear and Conv layers."""
    pairs = _prunable_weights(model)
    zeros = sum(int((getattr(m, n) == 0).sum()) for m, n in pairs)
    total = sum(getattr(m, n).numel() for m, n in pairs)
    return zeros / total if total else 0.0


def _coverage_text(model: Any, reached: float) -> str:
    """What share of the model's parameters the Linear/Conv weights are, and which layer types hold the rest (left
    whole): a GRU classifier's '50% reached' was 1.2% of its parameters. '' when they are (nearly) all of it."""
    weights = sum(getattr(m, n).numel() for m, n in _prunable_weights(model))
    total = sum(p.numel() for p in model.parameters())
    if not total or weights >= 0.9 * total:
        return ""
    pruned_ids = {id(getattr(m, n)) for m, n in _prunable_weights(model)}
    kinds = sorted({type(m).__name__ for m in model.modules()
                    if any(id(p) not in pruned_ids and p.dim() > 1 for p in m.parameters(recurse=False))})
    return (f"; those weights are {weights:,} of the model's {total:,} parameters ({weights / total:.1%}): "
            f"{round(reached * weights):,} zeros = {reached * weights / total:.1%} of the model; "
            f"left whole: {', '.join(kinds) or 'biases and norms'}")


def _gzip_bytes(model: Any) -> int:
    import torch

    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return len(gzip.compress(buf.getvalue(), compresslevel=6))


@register
class UnstructuredPrune(Technique):
    lossy: ClassVar[bool] = True
    name = "prune-unstructured"
    option_specs: ClassVar[dict[str, OptionSpec]] = {"sparsity": OptionSpec(0.5, float, lo=0.0, hi=0.99),
                                                     "finetune_steps": OptionSpec(0, int, lo=0, hi=1_000_000)}
    recorded_names = ("sparsity_reached",)
    family = "pruning"
    modes = ("train", "inference")
    changes = "zeroes the smallest-magnitude Linear/Conv weights globally (torch.nn.utils.prune) to a sparsity"
    risks = "quality loss at high sparsity; no speed-up on dense kernels, and no smaller file unless compressed"

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target) or already_quantized(bundle, self.name)
        if why is None and not _prunable_weights(bundle.model):
            return f"{bundle.name} has no Linear or Conv layer to prune"
        return why

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        import torch
        from torch.nn.utils import prune

        sparsity = self.opt(options, "sparsity")
        max_steps = self.opt(options, "finetune_steps")
        t0 = time.perf_counter()
        model = copy_model(bundle, target)
        dense_bytes, dense_gz = state_dict_bytes(model), _gzip_bytes(model)
        pairs = _prunable_weights(model)
        prune.global_unstructured(pairs, pruning_method=prune.L1Unstructured, amount=sparsity)
        ties = _tie_masks(model, pairs)
        by_parent = _masks_kept_by_the_root(model, to_device(bundle.first_batch()[0], target.device))
        run = None
        if max_steps:  # masks stay on during the fine-tune, so pruned weights stay zero
            run = train_for(model, bundle, target, what="in prune-unstructured's fine-tune", max_steps=max_steps,
                            budget_s=max(0.0, target.budget_s - (time.perf_counter() - t0)))
        dense_copy = _masks_folded(model, copy_model(bundle, target))  # what is saved and sized
        if target.mode == "inference":
            model = dense_copy
        reached = weight_sparsity(dense_copy)
        sparse_gz, size = _gzip_bytes(dense_copy), state_dict_bytes(dense_copy)
        with torch.no_grad():
            quality = evaluate(model, bundle, target.device)
        notes = [f"global L1 magnitude pruning of {len(pairs)} Linear/Conv weights: requested sparsity "
                 f"{sparsity:.1%}, reached {reached:.1%} (zeros / weights, counted after pruning)"
                 + _coverage_text(dense_copy, reached),
                 f"file size unchanged at {size:,} bytes (dense {dense_bytes:,}): zeros are stored; "
                 f"gzip-compressed {sparse_gz:,} bytes vs {dense_gz:,} dense",
                 "dense kernels do not get faster: the same matmuls run over zeros (expect the same step time); "
                 "speed needs structured pruning or 2:4 sparse tensor cores",
                 f"held-out {bundle.metric_name} {quality_text(quality, bundle.metric_name)}"
                 # train mode: the table's figure is scored after the runner's training steps, this one before them
                 + (f" as pruned{', fine-tuned' if run is not None else ''}, before the run's --quality-steps "
                    "training steps (the table's figure is scored after them)" if target.mode == "train" else "")]
        if ties:
            notes.append(f"tied weights kept one tensor with one mask ({', '.join(ties)}): the other holder shares "
                         "the zeros; counted and sized once")
        if target.mode == "train":
            notes.append("train mode: the masks stay on (torch.nn.utils.prune reparametrization), so training keeps "
                         "the zeros; each step pays a mask multiply per pruned weight"
                         + (f" ({', '.join(by_parent)}: weights read by their parent, not through their own forward, "
                            "masked before each forward of the model)" if by_parent else ""))
        if run is not None:
            notes.append(f"fine-tune with masks: {run.steps} steps in {run.time_s:.1f} s" + run.how())
        save = (state_dict_saver(dense_copy, self.name) if target.mode == "inference"
                else _fold_on_save(model, bundle, target, self.name))  # train: the weights as trained by then
        return model_variant(self.name, model, bundle, target, setup_s=time.perf_counter() - t0, size_bytes=size,
                             save=save, trained_steps=run.steps if run else 0,
                             params={"sparsity": sparsity, "sparsity_reached": reached,
                                     "finetune_steps": run.steps if run else 0}, notes=notes)


def _pruning_hooks(m: Any) -> list[Any]:
    from torch.nn.utils import prune

    return [h for h in m._forward_pre_hooks.values() if isinstance(h, prune.BasePruningMethod)]


def _remask(model: Any, args: Any) -> None:
    """Forward pre-hook of the root module: recompute `weight = weight_orig * weight_mask` of every pruned module
    marked `accelopt_masked_by_root`, as its own pre-hook would had its forward been called."""
    for m in model.modules():
        if getattr(m, "accelopt_masked_by_root", False):
            for hook in _pruning_hooks(m):
                hook(m, args)


def _masks_kept_by_the_root(model: Any, inputs: tuple[Any, ...]) -> list[str]:
    """Mark the pruned modules whose forward a forward of `model` never calls, and give the root a pre-hook that
    re-masks them (_remask); returns their names. torch.nn.utils.prune recomputes a masked weight in the module's
    own forward pre-hook, but nn.MultiheadAttention reads out_proj.weight without calling out_proj: its weight was
    the tensor computed once at pruning, so the second train step of a ViT failed with 'Trying to backward through
    the graph a second time' (and the optimizer's updates to weight_orig never reached the forward)."""
    import torch

    pruned = [m for m in model.modules() if _pruning_hooks(m)]
    ran: set[int] = set()
    handles = [m.register_forward_pre_hook(lambda mod, args: ran.add(id(mod))) for m in pruned]
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
    names = {id(m): n for n, m in model.named_modules()}
    missed = [m for m in pruned if id(m) not in ran]
    for m in missed:
        m.accelopt_masked_by_root = True
    if missed:
        model.register_forward_pre_hook(_remask)
    return [names[id(m)] for m in missed]


def _fold_on_save(masked: Any, bundle: ModelBundle, target: Target, name: str) -> Any:
    def save(folder: Any) -> Any:
        return state_dict_saver(_masks_folded(masked, copy_model(bundle, target)), name)(folder)

    return save


def _masks_folded(pruned: Any, fresh: Any) -> Any:
    """`fresh` (an unpruned copy of the same model) with every weight set to the pruned model's masked weight
    (deepcopy cannot copy a module whose weight is recomputed from weight_orig * weight_mask)."""
    import torch

    src = dict(pruned.named_modules())
    with torch.no_grad():
        for name, m in fresh.named_modules():
            mask = getattr(src[name], "weight_mask", None)
            if mask is not None:
                m.weight.copy_(src[name].weight_orig * mask)
    return fresh


def mask_2_4(weight: Any) -> Any:
    """Boolean mask keeping the 2 largest-magnitude weights of every 4 consecutive ones along the input
    (last) dimension: the 2:4 pattern sparse tensor cores accelerate. weight: (out, in), in % 4 == 0."""
    import torch

    out_f, in_f = weight.shape
    groups = weight.detach().abs().reshape(out_f, in_f // 4, 4)  # (out, in/4, 4)
    top = groups.topk(2, dim=-1).indices
    mask = torch.zeros_like(groups, dtype=torch.bool).scatter_(-1, top, True)
    return mask.reshape(out_f, in_f)


def _semi_structured_ok(layer: Any) -> bool:
    """Shapes cuSPARSELt/CUTLASS 2:4 kernels take: both dimensions multiples of 64 (fp16/bf16)."""
    return layer.in_features % 64 == 0 and layer.out_features % 64 == 0


@register
class SemiStructured24(Technique):
    lossy: ClassVar[bool] = True
    name = "sparse-2-4"
    recorded_names = ("layers",)
    family = "pruning"
    modes = ("inference",)
    changes = "keeps 2 of every 4 consecutive Linear weights (by magnitude), stored and run as 2:4 sparse tensors"
    risks = "quality loss without sparse fine-tuning (50% of weights gone); needs sparse tensor cores"
    composable = True

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        from torch import nn

        why = super().not_applicable(bundle, target) or already_quantized(bundle, self.name)
        if why:
            return why
        if not target.on_cuda:
            return (f"2:4 sparse kernels run on NVIDIA GPUs of compute capability 8.0+; the target is "
                    f"{target.device}" + (" — use prune-structured for a CPU speed-up"
                                          if applicable_of(["prune-structured"], bundle, target)
                                          and prunes_below_output(bundle) else ""))
        cap = target.cuda_capability()
        if cap is None or cap < (8, 0):
            return f"2:4 sparsity needs compute capability 8.0+; {target.device} has {cap}"
        if not any(isinstance(m, nn.Linear) and _semi_structured_ok(m) for m in bundle.model.modules()):
            return f"{bundle.name} has no Linear layer with both dimensions multiples of 64 (the kernels' tile)"
        return None

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        import torch
        from torch import nn
        from torch.sparse import to_sparse_semi_structured

        t0 = time.perf_counter()
        inputs = to_device(bundle.first_batch()[0], model_device(bundle.model))
        out_shape = _output_shape(bundle.model, inputs)
        names = {id(m): n for n, m in bundle.model.named_modules()}
        with _time_limit(target.budget_s / 2, "finding the output layer (torch-pruning, on a copy)",
                         "skip sparse-2-4 (--skip sparse-2-4)"):
            heads = sorted(names[id(m)] for m in output_layers(bundle.model, out_shape, inputs))
        model = copy_model(bundle, target).half() if target.dtype != "bf16" else copy_model(bundle, target)
        done = 0
        for name, m in model.named_modules():
            if isinstance(m, nn.Linear) and _semi_structured_ok(m) and name not in heads:
                with torch.no_grad():
                    dense = m.weight * mask_2_4(m.weight)
                m.weight = nn.Parameter(to_sparse_semi_structured(dense), requires_grad=False)
                done += 1
        if done == 0:
            raise UnsupportedError("no Linear layer fits the 2:4 kernels (both dimensions multiples of 64, not "
                                   "the output layer)", "use prune-structured")
        dtype = next(model.parameters()).dtype

        def forward(*inputs: Any) -> Any:
            return model(*(x.to(dtype) if x.is_floating_point() else x for x in as_tuple(inputs)))

        notes = [f"{done} Linear layers made 2:4 sparse (magnitude mask, no fine-tune), {dtype} weights; kept "
                 f"dense: the output layer ({', '.join(_typed(model, heads)) or 'none of Linear/Conv'})"]
        return Variant(technique=self.name, model=model, forward=forward, setup_s=time.perf_counter() - t0,
                       size_bytes=None, params={"layers": done}, notes=notes)
