"""Export to ONNX, quantize with ONNX Runtime's int8 tooling, run in an ONNX Runtime InferenceSession (inference).

The deployment path for CPUs and edge devices:
- onnx-fp32: the exported graph run by ONNX Runtime unquantized: the reference that separates what the runtime
  gains (fused kernels, no Python per op) from what int8 gains;
- onnx-int8: `quantize_dynamic` (int8 weights, activations quantized at run time: MatMulInteger/DynamicQuantize
  nodes); suits Linear/MatMul-heavy models (transformers, MLPs);
- onnx-int8-static: `quantize_static` in QDQ format with per-channel weights, activation ranges calibrated on
  the bundle's training batches; suits convolutional nets (dynamic quantization leaves conv activations in fp32).

The variant runs outside torch (Variant.model is None); Variant.forward takes torch tensors, feeds numpy arrays
to the session and returns torch tensors. Variant.size_bytes is the .onnx file's size; Variant.save writes it.

The session's threads do not spin-wait between calls (session option `session.intra_op.allow_spinning` = 0):
with spinning on, ONNX Runtime's idle threads and torch's OpenMP threads steal the 2 cores from each other when
the runner interleaves the baseline and the variant in one process (seen here: eager fp32 2x slower while an
ONNX Runtime session spins beside it).

onnx and onnxruntime are imported lazily (`pip install onnx onnxruntime`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from accelopt.errors import UnsupportedError
from accelopt.optimize.base import OptionSpec, Target, Technique, Variant, applicable_of, register
from accelopt.optimize.compress import already_quantized, conv_count, copy_model, dynamic_int8_count, state_dict_bytes
from accelopt.optimize.steps import wrapper_name
from accelopt.userio import exception_text
from accelopt.workload.batch import to_device
from accelopt.workload.userfile import ModelBundle, as_tuple

__all__ = ["OnnxFp32", "OnnxInt8Dynamic", "OnnxInt8Static", "OutputLayout", "export_onnx", "output_layout",
           "session_forward"]

INSTALL_FIX = "pip install onnx onnxruntime"


def _import_ort() -> Any:
    try:
        import onnx  # noqa: F401  (the quantization tooling needs it)
        import onnxruntime
    except ImportError as e:
        raise UnsupportedError(f"ONNX Runtime cannot be imported ({e})", INSTALL_FIX) from e
    return onnxruntime


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The exporters and the quantizer warn about deprecations and 'pre-processing'; none of it is the user's.
    What they write to stdout is dropped (_stdout_fd_swallowed). torch's loggers have handlers of
    their own (not the root's) and take their level from "torch": it is raised too, or a failed torch.export
    printed symbolic_shapes' 'Unable to find user code' with the whole FX graph (~50 lines a try) and
    'torchvision is not installed. Skipping torchvision::nms' x4; the variant's notes say what failed."""
    loggers = [logging.getLogger(), logging.getLogger("torch"), logging.getLogger("onnxscript")]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        with warnings.catch_warnings(), _stdout_fd_swallowed():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


@contextlib.contextmanager
def _stdout_fd_swallowed() -> Iterator[None]:
    """What the exporters write to stdout, dropped: torch's C++ ONNX log ('Torch IR graph at exception: graph(...)',
    ~50 lines when the TorchScript exporter fails and the torch.export fallback then succeeds) writes to file
    descriptor 1 below Python's sys.stdout, which the CLI's redirect_stdout does not reach (`optimize --json` printed
    the graph before the JSON document), and torch.export prints its progress lines ('[torch.onnx] Run
    decompositions...'). Sent to stderr, they sat amid optimize's progress like a crash; the variant's notes say
    which exporter ran and why the first failed. Python's sys.stdout is dropped too, for a library caller."""
    import io
    import os
    import sys
    import tempfile

    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 (a closed stdout): nothing to protect
        yield
        return
    try:
        with tempfile.TemporaryFile() as sink, contextlib.redirect_stdout(io.StringIO()):
            os.dup2(sink.fileno(), 1)
            try:
                yield
            finally:
                sys.stdout.flush()
                os.dup2(saved, 1)
    finally:
        os.close(saved)


@contextlib.contextmanager
def _mha_fastpath_off() -> Iterator[None]:
    """torch's fused MHA/TransformerEncoderLayer fast path off for the TorchScript export, restored after. In eval
    mode under no_grad nn.TransformerEncoderLayer runs aten::_transformer_encoder_layer_fwd, which that exporter
    has no symbolic for ('Exporting the operator ... is not supported'); torch.export, the fallback, then failed
    too on a user's attention mask (the causal-mask check inside nn.TransformerEncoder is a data-dependent
    .item()). The unfused path computes the same function from the same weights (torch.backends.mha docs: the
    switch only picks the kernel)."""
    import torch

    mha = torch.backends.mha
    was = mha.get_fastpath_enabled()
    mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        mha.set_fastpath_enabled(was)


def _has_mha(model: Any) -> bool:
    """Whether the model holds a module with torch's fused attention fast path (nn.MultiheadAttention, which
    nn.TransformerEncoderLayer and nn.Transformer hold)."""
    from torch import nn

    return any(isinstance(m, nn.MultiheadAttention) for m in model.modules())


@dataclass(frozen=True)
class OutputLayout:
    """How the exported graph's outputs rebuild the model's output: `names` (out0, out1, ...) are the Tensor leaves
    of torch's pytree flattening of one forward's output, `spec` its tree and `leaves` every leaf (None where a
    Tensor from the graph goes; a non-Tensor leaf, e.g. an int, is the value the export-time forward returned).
    `spec` None: the output is one Tensor, or a type pytree cannot flatten (then only its first Tensor is exported,
    and `fallback` says so)."""

    names: list[str]
    spec: Any = None
    leaves: list[Any] = field(default_factory=list)
    fallback: str | None = None
    """Why the variant returns the output's first Tensor alone instead of the model's output structure."""


def output_layout(out: Any) -> OutputLayout:
    """The layout of a model's output `out` (a Tensor, or a tuple/list/dict of Tensors such as (logits, aux)):
    the whole structure comes back from the session, so a loss_fn that reads out["logits"] or out[0] gets what
    the model returns (it was handed the first Tensor alone and raised, or read its first row)."""
    import torch
    from torch.utils._pytree import tree_flatten

    if isinstance(out, torch.Tensor):
        return OutputLayout(["out0"])
    _register_mapping_output(type(out))
    leaves, spec = tree_flatten(out)
    tensors = [x for x in leaves if isinstance(x, torch.Tensor)]
    if not tensors:
        return OutputLayout(["out0"], fallback=(
            f"the model's output (a {type(out).__name__}) is not a structure torch's pytree flattens (a Tensor, "
            "tuple, list, dict or Hugging Face ModelOutput): the ONNX graph holds its first Tensor alone, and the "
            "variant returns that Tensor, not the model's output"))
    return OutputLayout(_leaf_names(out), spec, [None if isinstance(x, torch.Tensor) else x for x in leaves])


def _register_mapping_output(cls: type) -> None:
    """A dict subclass pytree does not know (a Hugging Face ModelOutput under transformers < 4.35, which registers
    them itself from then on) registered as a mapping, rebuilt by cls(**fields): GPT-2 built from a config.json
    returns CausalLMOutputWithCrossAttentions, which pytree read as one opaque leaf, so onnx-* refused it."""
    import torch.utils._pytree as pytree

    if not issubclass(cls, dict) or cls is dict or cls in pytree.SUPPORTED_NODES:
        return

    def flatten(d: Any) -> tuple[list[Any], Any]:
        return list(d.values()), list(d.keys())

    def flatten_with_keys(d: Any) -> tuple[list[tuple[Any, Any]], Any]:
        return [(pytree.MappingKey(k), v) for k, v in d.items()], list(d.keys())

    def unflatten(values: Any, keys: Any) -> Any:
        return cls(**dict(zip(keys, values, strict=True)))

    pytree.register_pytree_node(cls, flatten, unflatten, flatten_with_keys_fn=flatten_with_keys,
                                serialized_type_name=f"{cls.__module__}.{cls.__qualname__}")


def _leaf_names(out: Any) -> list[str]:
    """The ONNX output names of the Tensor leaves of `out`: their place in it ('logits', 'hidden.0' for
    {'logits': t, 'hidden': (t, ...)}; 'out0', 'out1.0' for a tuple (logits, (h, c))), so a saved .onnx says which
    output is which (out0, out1 named nothing). A place that starts with a position, or a dict key of digits alone,
    gets 'out' in front: the TorchScript exporter refuses a name of digits ('Invalid name: 0'), which sent every
    model returning a tuple to the slower torch.export path, or out of the onnx-* techniques where that path
    failed. out0, out1, ... where two places would give one name."""
    import torch
    from torch.utils._pytree import tree_flatten_with_path

    def part(k: Any) -> str:
        for attr in ("key", "idx", "name"):  # MappingKey, SequenceKey, GetAttrKey
            if hasattr(k, attr):
                return str(getattr(k, attr))
        return str(k)

    def name(path: Any) -> str:
        text = ".".join(part(k) for k in path) or "out"
        return f"out{text}" if text[:1].isdigit() else text

    paths = [name(path) for path, x in tree_flatten_with_path(out)[0] if isinstance(x, torch.Tensor)]
    return paths if len(set(paths)) == len(paths) else [f"out{i}" for i in range(len(paths))]


def _tensor_leaves(model: Any, layout: OutputLayout) -> Any:
    """A module returning the Tensor leaves of model's output as a tuple (in layout's order): what is exported, so
    the graph's outputs are out0, out1, ... whatever the structure (non-Tensor leaves are put back by the forward)."""
    import torch
    from torch import nn
    from torch.utils._pytree import tree_flatten

    from accelopt.optimize.compress import first_tensor

    class TensorLeaves(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, *inputs: Any) -> Any:
            out = self.inner(*inputs)
            if layout.spec is None:
                return first_tensor(out)
            return tuple(x for x in tree_flatten(out)[0] if isinstance(x, torch.Tensor))

    wrapped = TensorLeaves()
    # in the model's mode, not a new Module's training mode: the TorchScript exporter puts the module it exports
    # back in the mode it found (model.train(originally_training), recursively), and a wrapper in training mode put
    # an eval-mode model in training mode with it, its dropout then drawn in check_trace's comparison (a Hugging Face
    # BERT's onnx-* were refused, 'the graph disagrees with the model ... max |diff| 0.00929')
    wrapped.training = model.training
    return wrapped


@dataclass(frozen=True)
class Exported:
    """What export_onnx wrote: input names, output layout, the dims of each input fixed in the graph and what the
    user must know (the exporter used, the dims made dynamic)."""

    names: list[str]
    layout: OutputLayout
    static_shapes: list[tuple[int | None, ...]]
    """Per input: its size in each dim fixed by the graph, None where the dim is dynamic (dim 0, the batch, and
    every dim whose size differs among the batches read)."""
    notes: list[str]
    constants: dict[int, Any] = field(default_factory=dict)
    """Inputs that were not Tensors at export (a Python float, int, None), by position: the exporter bakes them into
    the graph as constants, so the graph has no input for them."""
    traced_python: list[str] = field(default_factory=list)
    """The TorchScript exporter's TracerWarnings (a Tensor turned into a Python bool, int or float: a branch or a
    loop count the trace fixes at the export batch's value), each with the line of the model that raised it;
    check_trace compares the graph with the model where there are any."""


SHAPE_SCAN_BATCHES = 16
"""Training and held-out batches read (each) to find the input dims whose size varies: those are dynamic."""


def shape_samples(bundle: ModelBundle) -> list[tuple[Any, ...]]:
    """One input tuple per distinct combination of input shapes among the first SHAPE_SCAN_BATCHES training and
    held-out batches (the batches varying_dims reads)."""
    import itertools

    seen: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for make in (bundle.batches, bundle.eval_batches):
        if make is None:
            continue
        for item in itertools.islice(make(), SHAPE_SCAN_BATCHES):
            inputs = as_tuple(item[0])
            seen.setdefault(tuple(tuple(getattr(x, "shape", ())) for x in inputs), inputs)
    return list(seen.values())


def varying_dims(bundle: ModelBundle, n_inputs: int) -> list[set[int]]:
    """Per input, the dims other than the batch whose size differs among the first SHAPE_SCAN_BATCHES training and
    held-out batches (a sequence length): made dynamic in the export. Only the batch was: a held-out batch of
    another length failed the variant with ONNX Runtime's 'Got invalid dimensions'."""
    shapes: list[set[tuple[int, ...]]] = [set() for _ in range(n_inputs)]
    for inputs in shape_samples(bundle):
        for i, x in enumerate(inputs[:n_inputs]):
            if hasattr(x, "shape"):
                shapes[i].add(tuple(x.shape))
    out: list[set[int]] = []
    for seen in shapes:
        ranks = {len(sh) for sh in seen}
        rank = max(ranks, default=0)
        out.append({d for d in range(1, rank) if len({sh[d] for sh in seen if len(sh) == rank}) > 1})
    return out


def export_onnx(model: Any, inputs: tuple[Any, ...], path: Path, vary: list[set[int]] | None = None) -> Exported:
    """Export `model(*inputs)` to `path` with the batch dimension and the dims in `vary` (per input) dynamic.

    The TorchScript-based exporter (dynamo=False) first: it takes seconds where torch.export takes tens of
    seconds here; torch.export (dynamo=True) when the first fails, said in the notes."""
    import torch

    names = [f"in{i}" for i in range(len(inputs))]
    with torch.no_grad():
        layout = output_layout(model(*inputs))
    vary = vary or [set() for _ in inputs]
    axes: dict[str, dict[int, str]] = {}
    static: list[tuple[int | None, ...]] = []
    for n, x, dims in zip(names, inputs, vary, strict=True):
        rank = x.dim() if isinstance(x, torch.Tensor) else 0
        dyn = {d: ("batch" if d == 0 else f"{n}_dim{d}") for d in sorted({0, *dims}) if d < rank}
        axes[n] = dyn
        static.append(tuple(None if d in dyn else int(x.shape[d]) for d in range(rank)))
    for n in layout.names:  # outputs: every dim symbolic (their shapes follow the inputs')
        axes[n] = {d: f"{n}_dim{d}" for d in range(8)}
    wrapped = _tensor_leaves(model, layout)
    with torch.no_grad():
        ranks = [o.dim() for o in as_tuple(wrapped(*inputs))]
    for n, r in zip(layout.names, ranks, strict=True):
        axes[n] = {d: ("batch" if d == 0 else f"{n}_dim{d}") for d in range(r)}
    notes = []
    dynamic = [f"{n} dims {sorted(axes[n])}" for n in names if axes[n]]
    with _quiet(), torch.no_grad():
        def torchscript() -> None:
            caught: list[tuple[str, int, str, str]] = []  # file, line, inside which torch layer, message

            def record(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None,
                       line: str | None = None) -> None:
                if issubclass(category, torch.jit.TracerWarning):
                    caught.append((*_caller_outside_torch(filename, lineno), str(message)))

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                warnings.simplefilter("always", torch.jit.TracerWarning)
                warnings.showwarning = record  # put back by catch_warnings
                torch.onnx.export(wrapped, inputs, str(path), input_names=names, output_names=layout.names,
                                  dynamic_axes=axes, dynamo=False)
            traced.extend(dict.fromkeys(  # the warning's first sentence: the rest is the same for every one
                f"{Path(f).name}:{n}{inner}: {' '.join(m.split()).split('. ')[0]}" for f, n, inner, m in caught))

        traced: list[str] = []
        try:
            torchscript()
            notes.append("exported with torch.onnx.export (TorchScript exporter), dynamic: "
                         + ("; ".join(dynamic) or "none"))
        except Exception as first:
            failed = f"the TorchScript exporter failed ({type(first).__name__}: {exception_text(first, 200)})"
            try:
                static, how = _export_dynamo(wrapped, inputs, path, names, layout.names, [axes[n] for n in names])
                notes.append(f"EXPORTED BY THE FALLBACK PATH torch.export (dynamo=True): {failed}; {how}")
            except UnsupportedError as second:
                if not _has_mha(model):
                    raise _both_failed(first, second) from None
                try:
                    with _mha_fastpath_off():  # the last resort; the runner's shape check refuses a baked size
                        torchscript()
                except Exception:
                    raise _both_failed(first, second) from None  # torch.export's reason, or the op neither exports
                notes.append(f"EXPORTED BY THE FALLBACK PATH the TorchScript exporter with torch's fused attention "
                             f"fast path off (torch.backends.mha): {failed}, and torch.export too "
                             f"({' '.join(second.problem.split())[:240]}); "
                             "dynamic: " + ("; ".join(dynamic) or "none"))
    if layout.fallback:
        notes.append(layout.fallback.upper()[:1] + layout.fallback[1:])
    fixed = [f"{n} {_shape_text(sh)}" for n, sh in zip(names, static, strict=True)
             if any(s is not None for s in sh)]
    notes.append(f"the graph's inputs are {', '.join(names)} (forward's arguments in order), its outputs "
                 f"{', '.join(layout.names)}" + (" (their place in the model's output)" if layout.spec is not None
                                                 else ""))
    if fixed:
        notes.append("input shapes the graph accepts (* = dynamic; a dim is dynamic where its size varied among the "
                     f"first {SHAPE_SCAN_BATCHES} training and held-out batches): " + ", ".join(fixed))
    constants = {i: x for i, x in enumerate(inputs) if not isinstance(x, torch.Tensor)}  # session_forward keeps
    return Exported(names, layout, static, notes, constants, traced)  # constants: the graph has no input for them


def _caller_outside_torch(filename: str, lineno: int) -> tuple[str, int, str]:
    """The innermost frame of the running stack outside torch's package (the line of the model, or of a library it
    calls, whose Tensor the trace turned into a Python value); (filename, lineno) as warned where there is none. A
    TracerWarning raised inside torch itself named torch's line: a Hugging Face BERT's `pad_token_id in input_ids`
    was warned as `_tensor.py:1274` (Tensor.__contains__), not transformers' line that branched on it. Third: where
    the warning came from inside a torch layer called on that line, ", inside torch's nn.LSTM called there" (the
    outermost one), else '': an nn.LSTM's own check was pointed at the user's `self.lstm(...)` line as if that line
    branched (ut4opt)."""
    import os
    import sys

    import torch

    inside = os.path.dirname(torch.__file__) + os.sep
    layer = ""
    frame: Any = sys._getframe(2)  # not this function's and record's own frames
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(inside) and name != warnings.__file__:
            return name, frame.f_lineno or 0, layer and f", inside torch's nn.{layer} called there"
        held = frame.f_locals.get("self")
        if isinstance(held, torch.nn.Module) and type(held).__module__.startswith("torch."):
            layer = type(held).__name__  # walking outward: the last one is the layer the model called
        frame = frame.f_back
    return filename, lineno, ""


ONNX_SKIP = "--skip onnx-fp32,onnx-int8,onnx-int8-static"
"""The option that leaves every technique needing an ONNX export out."""


def _both_failed(first: Exception, second: UnsupportedError) -> UnsupportedError:
    """The error of an export both exporters refused. Where the TorchScript exporter named an operator ONNX has no
    export for ("Exporting the operator 'aten::linalg_eigvalsh' to ONNX opset version 20 is not supported",
    torch.onnx's UnsupportedOperatorError), that operator is the problem and its fix: a user CNN calling
    torch.linalg.eigvalsh was told only torch.export's 'Error when translating node %_linalg_eigh ... See the stack
    trace for more information', which it does not print, and to remove 'data-dependent Python control flow' it did
    not have. Else torch.export's reason, as before."""
    op = re.search(r"operator '([^']+)'", str(first))
    if op is None:
        return second
    return UnsupportedError(
        f"ONNX has no export for the operator {op.group(1)!r} (the TorchScript exporter: {type(first).__name__}: "
        f"{exception_text(first, 200)}), and torch.export (dynamo=True) failed too: {second.problem}",
        f"compute it in forward with operators ONNX exports, or register an export for it "
        f"(torch.onnx.register_custom_op_symbolic), or leave the onnx-* techniques out: {ONNX_SKIP}")


def _export_dynamo(wrapped: Any, inputs: tuple[Any, ...], path: Path, names: list[str], out_names: list[str],
                   dyn: list[dict[int, str]]) -> tuple[list[tuple[int | None, ...]], str]:
    """torch.export + the dynamo ONNX exporter with the same dims made dynamic (Dim.AUTO: torch.export keeps a dim
    static where the model fixes it), or, when that fails, with every dim static; (per input the dims the graph
    fixes, read back from the written graph; what was done). A fused TransformerEncoder in eval mode (no
    TorchScript symbolic for its fast-path op) exports here with dynamic batch and sequence length (torch 2.13)."""
    import torch
    from torch.export import Dim

    def export(shapes: Any) -> None:
        torch.onnx.export(wrapped, inputs, str(path), input_names=names, output_names=out_names, dynamo=True,
                          external_data=False, dynamic_shapes=shapes)

    try:
        # one entry: wrapped's forward takes *inputs (a tuple of one spec per input was read as 2 args for 1)
        export((tuple({d: Dim.AUTO for d in dims} if isinstance(x, torch.Tensor) else None
                      for x, dims in zip(inputs, dyn, strict=True)),))
        how = "dims torch.export kept dynamic: as the graph's inputs below show"
    except Exception as dynamic_error:
        try:
            export(None)
        except Exception as e:
            cause = e.__cause__ or e  # torch.onnx wraps the error in a page of next steps; the cause says what
            raise UnsupportedError(f"torch.onnx.export failed with dynamo=True: {type(cause).__name__}: "
                                   f"{exception_text(cause, 300)}",
                                   "make the model exportable (no data-dependent Python control flow), "
                                   "or skip the onnx-* techniques") from e
        how = (f"with dynamic dims it failed too ({type(dynamic_error).__name__}: "
               f"{exception_text(dynamic_error, 200)}), so every input dim is static, the batch size included: the "
               "graph runs the export batch's shapes only")
    return _graph_input_shapes(path, names, inputs), how


def _graph_input_shapes(path: Path, names: list[str], inputs: tuple[Any, ...]) -> list[tuple[int | None, ...]]:
    """Per input, its dims as the written ONNX graph declares them, None for a symbolic dim; an input the graph
    does not take (unused, folded to a constant) keeps the export batch's shape."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    declared = {i.name: i.type.tensor_type.shape.dim for i in graph.input}

    def dims(n: str, x: Any) -> tuple[int | None, ...]:
        if n not in declared:
            return tuple(int(s) for s in getattr(x, "shape", ()))
        return tuple(int(d.dim_value) if d.HasField("dim_value") else None for d in declared[n])

    return [dims(n, x) for n, x in zip(names, inputs, strict=True)]


def _shape_text(shape: tuple[int | None, ...]) -> str:
    """(*, 5): a graph input's shape, * where the dim is dynamic."""
    return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def check_shapes(names: list[str], static: list[tuple[int | None, ...]], inputs: tuple[Any, ...]) -> None:
    """An input whose shape the exported graph does not accept is an UnsupportedError naming the dim and the fix
    (ONNX Runtime's own message, 'Got invalid dimensions for input: in0 ... index: 1 Got: 7 Expected: 4', named
    neither the cause nor what to do)."""
    for n, sh, x in zip(names, static, inputs, strict=True):
        got = tuple(getattr(x, "shape", ()))
        bad = [d for d, s in enumerate(sh) if s is not None and (d >= len(got) or got[d] != s)]
        if bad or len(got) != len(sh):
            raise UnsupportedError(
                f"input {n} has shape {got}, and the ONNX graph was exported with {n} of shape "
                f"{_shape_text(sh)} (* = dynamic): dim(s) {bad or 'count'} fixed, since "
                f"the first {SHAPE_SCAN_BATCHES} training and held-out batches all had that size",
                "make that size vary among the first batches (batches() or eval_batches()) so the export makes it "
                "dynamic, or pad the inputs to one size")


def check_constants(exported: Exported, inputs: tuple[Any, ...]) -> None:
    """A non-Tensor input must be the value the graph baked in: an UnsupportedError naming both otherwise (a Python
    float input failed the variant with "'float' object has no attribute 'detach'", said as a traced size)."""
    for i, baked in exported.constants.items():
        got = inputs[i] if i < len(inputs) else None
        if type(got) is not type(baked) or got != baked:
            n = exported.names[i]
            raise UnsupportedError(f"input {n} is {got!r}, and the ONNX graph was exported with {n} = {baked!r}: a "
                                   f"{type(baked).__name__} argument (not a Tensor) is a constant of the graph",
                                   "pass it as a Tensor (torch.tensor(...)) in batches() and eval_batches(), or "
                                   "keep it the same in every batch")


def fp32_inputs(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """Floating inputs as float32: the graph is exported from an fp32 copy of the model, so float64 inputs (numpy's
    default, e.g. a CSV read with np.loadtxt) failed the export ('mat1 and mat2 must have the same dtype') and would
    not match the graph's input type; integer inputs (token ids) stay as they are."""
    return tuple(x.float() if getattr(x, "is_floating_point", lambda: False)() else x for x in inputs)


def _session(model_bytes: bytes, threads: int | None) -> Any:
    ort = _import_ort()
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # see the module docstring
    # no arena: with it, ONNX Runtime keeps the step's intermediate buffers resident after the first call, so the
    # runner's "step peak above the resident level" read 0 for every onnx-* variant (memory = the file alone);
    # without it they are malloc'd and freed per call like torch's (measured: same step time, 16 MiB peak seen)
    opts.enable_cpu_mem_arena = False
    return ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])


_NUMPY_OF_ONNX = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
                  "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(bool)": "bool"}
"""numpy dtype of an ONNX Runtime input type string (NodeArg.type), for a Python number fed as a graph input."""


def session_forward(session: Any, exported: Exported) -> Callable[..., Any]:
    """forward(*torch tensors) -> the model's output rebuilt from the session's (a torch tensor, or the tuple/dict
    of them the model returns, non-Tensor leaves as the export-time forward gave them), run on numpy views of the
    inputs; an input shape the graph does not accept is an UnsupportedError (check_shapes)."""
    import torch
    from torch.utils._pytree import tree_unflatten

    layout = exported.layout

    import numpy as np

    # ONNX element type of each graph input; a constant (or unused) input has none
    graph_inputs = {i.name: _NUMPY_OF_ONNX.get(i.type) for i in session.get_inputs()}
    exported = dataclasses.replace(exported, constants={i: x for i, x in exported.constants.items()
                                                        if exported.names[i] not in graph_inputs})

    def value(n: str, x: Any) -> Any:  # a Python number the graph takes as an input: a 0-d array of its type
        return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=graph_inputs[n])

    def forward(*inputs: Any) -> Any:
        check_shapes(exported.names, exported.static_shapes, inputs)
        check_constants(exported, inputs)
        feed = {n: value(n, x) for n, x in zip(exported.names, fp32_inputs(inputs), strict=True) if n in graph_inputs}
        outs = iter(torch.from_numpy(a) for a in session.run(layout.names, feed))
        if layout.spec is None:
            return next(outs)
        return tree_unflatten([next(outs) if leaf is None else leaf for leaf in layout.leaves], layout.spec)

    return forward


def _structured_input(bundle: ModelBundle) -> str:
    """'a dict (input 0)' when an input of the first batch is a dict, list or tuple rather than a tensor or a number,
    else ''."""
    import torch

    inputs, _ = bundle.first_batch()
    for i, x in enumerate(inputs):
        if not isinstance(x, torch.Tensor | int | float | bool):
            return f"a {type(x).__name__} (input {i})"
    return ""


class _OnnxTechnique(Technique):
    family: ClassVar[str] = "quantization"
    modes: ClassVar[tuple[str, ...]] = ("inference",)
    takes_wrapped_model: ClassVar[bool] = False  # not_applicable refuses a wrapped model (wrapper_name)

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target) or already_quantized(bundle, self.name)
        if why:
            return why
        if target.device_type != "cpu":
            return (f"{self.name} runs in ONNX Runtime's CPU execution provider (the CPU/edge deployment path); "
                    f"the target is {target.device} — pass --device cpu to measure it")
        try:
            _import_ort()
        except UnsupportedError as e:
            return f"{e.problem} — {e.fix}"
        structured = _structured_input(bundle)
        if structured:  # torch.onnx reads a trailing dict argument as keyword arguments ('unexpected keyword argument')
            return (f"the model takes {structured} as an input, and {self.name} exports a graph whose inputs are "
                    "tensors (and numbers) passed in order — give forward its tensors as separate arguments to "
                    "measure it")
        wrapper = wrapper_name(bundle.model)
        if wrapper:  # a chain's first technique (bf16 then onnx-int8-static failed with ORT's 'tensor(bfloat16) ...')
            return (f"the model runs under {wrapper} (a previous technique of the chain): {self.name} exports an fp32 "
                    "graph for ONNX Runtime, where that would not carry over (and ONNX Runtime's CPU kernels and int8 "
                    f"tooling take no bfloat16) — measure {self.name} on its own")
        return None

    def quantize(self, src: Path, dst: Path, bundle: ModelBundle, names: list[str], options: dict[str, Any]) -> Path:
        """Write the model to run at `dst` from the fp32 export `src`; returns the file to load."""
        raise NotImplementedError

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        import torch

        t0 = time.perf_counter()
        model = copy_model(bundle, target, fp32=True)
        inputs, _ = bundle.first_batch()
        inputs = fp32_inputs(to_device(as_tuple(inputs), target.device))
        with tempfile.TemporaryDirectory(prefix="accelopt-onnx-") as tmp:
            src = Path(tmp) / "model.onnx"
            exp = export_onnx(model, inputs, src, varying_dims(bundle, len(inputs)))
            exp.notes.extend(check_trace(model, src.read_bytes(), bundle, exp, target.device))
            if exp.layout.fallback and bundle.metric == "loss":
                raise UnsupportedError(f"{exp.layout.fallback}; metric 'loss' hands loss_fn the model's output, "
                                       "which the variant cannot rebuild",
                                       "return a Tensor, tuple, list or dict of Tensors from forward (or register "
                                       "the output type with torch.utils._pytree), or skip the onnx-* techniques")
            with _quiet():
                path = self.quantize(src, Path(tmp) / "model-q.onnx", bundle, exp.names, options)
            blob = path.read_bytes()
        share = _int8_share(blob) if path != src else None
        if share is not None and share[0] == 0:
            raise UnsupportedError(f"{self.name} quantized none of the graph's weights (float weights feed: "
                                   f"{', '.join(share[2]) or 'none'})", "use onnx-fp32, or int8-dynamic")
        session = _session(blob, torch.get_num_threads())
        _check_runs(session_forward(session, exp), bundle, exp, target.device)
        setup_s = time.perf_counter() - t0
        fp32_bytes = state_dict_bytes(model)

        def save(folder: Path) -> Path:
            out = Path(folder) / f"model-{self.name}.onnx"
            out.write_bytes(blob)
            return out

        ort = _import_ort()
        notes = [*exp.notes, f"run by onnxruntime {ort.__version__} CPUExecutionProvider with "
                 f"{torch.get_num_threads()} intra-op threads, spinning off, CPU memory arena off (so the step's "
                 "buffers count in memory; ONNX Runtime's defaults are spinning and the arena "
                 "on: set them so in deployment to run as measured)",
                 f".onnx file {len(blob):,} bytes vs the fp32 state dict's {fp32_bytes:,}", *self.notes(bundle)]
        if share is not None:
            int8, total, still = share
            notes.append(f"int8 weights: {int8:,} of the graph's {total:,} weight elements ({int8 / total:.1%})"
                         + (f"; left in float, the weights of: {', '.join(still)}" if still else ""))
        if target.dtype != "fp32":
            notes.append(f"exported from an fp32 copy (the baseline runs {target.dtype}): ONNX Runtime's int8 "
                         "tooling quantizes from fp32")
        return Variant(technique=self.name, model=None, forward=session_forward(session, exp),
                       setup_s=setup_s, size_bytes=len(blob), params=dict(options), notes=notes, save=save)

    def notes(self, bundle: ModelBundle) -> list[str]:
        return []


_RECURRENT_BIAS_INPUT = 3
"""ONNX's LSTM, GRU and RNN (and ONNX Runtime's DynamicQuantizeLSTM) take their bias B as input 3, shaped
(num_directions, 2 x gates x hidden): 2 dims, yet a bias (onnx/docs/Operators.md, LSTM inputs X, W, R, B)."""
_RECURRENT_OPS = frozenset({"LSTM", "GRU", "RNN", "DynamicQuantizeLSTM"})


def _int8_share(blob: bytes) -> tuple[int, int, list[str]] | None:
    """(int8/uint8 weight elements, all weight elements, op types whose weights stay float) of a quantized graph:
    a weight is an initializer of 2+ dims (biases, scales and zero points are left out; so is a recurrent op's
    2-dim bias B, which stays float when quantize_dynamic makes an LSTM a DynamicQuantizeLSTM with int8 W and R:
    counted, it read 'left in float, the weights of: DynamicQuantizeLSTM' on an LSTM whose every weight was int8).
    quantize_dynamic leaves whole op types in float (a GRU: 4,608 of a GRU classifier's 5,568 weight elements),
    which '.onnx file' and 'int8 weights (QInt8)' did not show. None when the graph cannot be read."""
    import onnx

    try:
        graph = onnx.load_from_string(blob).graph
    except Exception:  # a graph that does not parse is ONNX Runtime's to report when the session loads it
        return None
    ints = {onnx.TensorProto.INT8, onnx.TensorProto.UINT8}
    floats = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE}
    biases = {node.input[_RECURRENT_BIAS_INPUT] for node in graph.node
              if node.op_type in _RECURRENT_OPS and len(node.input) > _RECURRENT_BIAS_INPUT}
    weights = {i.name: i for i in graph.initializer if len(i.dims) >= 2 and i.name not in biases}
    count = {n: math.prod(i.dims) for n, i in weights.items()}
    int8 = sum(count[n] for n, i in weights.items() if i.data_type in ints)
    kept = {n for n, i in weights.items() if i.data_type in floats}
    still = sorted({node.op_type for node in graph.node if kept & set(node.input)})
    total = int8 + sum(count[n] for n in kept)
    return (int8, total, still) if total else None


@register
class OnnxFp32(_OnnxTechnique):
    name = "onnx-fp32"
    changes = "exports to ONNX and runs it in ONNX Runtime, unquantized (the runtime's gain alone)"
    risks = "ops ONNX cannot express fail to export; the model leaves PyTorch (no autograd, CPU provider here)"

    def quantize(self, src: Path, dst: Path, bundle: ModelBundle, names: list[str], options: dict[str, Any]) -> Path:
        return src


@register
class OnnxInt8Dynamic(_OnnxTechnique):
    lossy: ClassVar[bool] = True
    name = "onnx-int8"
    option_specs: ClassVar[dict[str, OptionSpec]] = {"per_channel": OptionSpec(False, bool)}
    changes = "ONNX export quantized by onnxruntime quantize_dynamic: int8 weights, activations quantized per call"
    risks = "accuracy loss on outlier activations; convolutions gain little (use onnx-int8-static for CNNs)"

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target)
        if why is None and dynamic_int8_count(bundle.model) == 0:
            return (f"{bundle.name} has no Linear/MatMul layer for dynamic int8 to speed up"
                    + (" — use onnx-int8-static (calibrated, for convolutions)"
                       if applicable_of(["onnx-int8-static"], bundle, target) else ""))
        return why

    def quantize(self, src: Path, dst: Path, bundle: ModelBundle, names: list[str], options: dict[str, Any]) -> Path:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        per_channel = self.opt(options, "per_channel")
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=per_channel)
        return dst

    def notes(self, bundle: ModelBundle) -> list[str]:
        return ["onnxruntime.quantization.quantize_dynamic, int8 weights (QInt8), activation scales computed "
                "per call"]


@register
class OnnxInt8Static(_OnnxTechnique):
    lossy: ClassVar[bool] = True
    name = "onnx-int8-static"
    option_specs: ClassVar[dict[str, OptionSpec]] = {"calibration_batches": OptionSpec(8, int, lo=1, hi=1000)}
    changes = ("ONNX export quantized by onnxruntime quantize_static (QDQ, per-channel int8 weights, activation "
               "ranges calibrated on training batches)")
    risks = "calibration batches that do not represent the data clip activations; accuracy loss on outliers"

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target)
        if why is None and conv_count(bundle.model) == 0:
            return (f"{bundle.name} has no convolution; static calibration pays off on convolutions"
                    + (" — onnx-int8 (dynamic) covers Linear/MatMul models"
                       if applicable_of(["onnx-int8"], bundle, target) else ""))
        return why

    def quantize(self, src: Path, dst: Path, bundle: ModelBundle, names: list[str], options: dict[str, Any]) -> Path:
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

        n_batches = self.opt(options, "calibration_batches")

        class Reader(CalibrationDataReader):  # type: ignore[misc]
            def __init__(self) -> None:
                self.it = iter(_calibration_feeds(bundle, names, n_batches))

            def get_next(self) -> dict[str, Any] | None:
                return next(self.it, None)

        quantize_static(str(src), str(dst), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        return dst

    def notes(self, bundle: ModelBundle) -> list[str]:
        return ["onnxruntime.quantization.quantize_static, QDQ format, per-channel QInt8 weights, QUInt8 "
                "activations; MinMax calibration on the first training batches (option calibration_batches, "
                "default 8)"]


def _check_runs(forward: Callable[..., Any], bundle: ModelBundle, exp: Exported, device: str) -> None:
    """The graph runs one batch of each input shape the scanned batches hold: an UnsupportedError naming the shape
    otherwise. A traced graph can fix a size the model computes from its input (nn.MultiheadAttention's reshape to
    (T, B * heads, head_dim) traced to constants): declared dynamic, it then failed in ONNX Runtime's Reshape with
    its own message, mid-measurement."""
    for inputs in shape_samples(bundle):
        x = fp32_inputs(to_device(inputs, device))
        try:
            forward(*x)
        except UnsupportedError:
            raise
        except Exception as e:
            shapes = ", ".join(f"{n} {tuple(getattr(v, 'shape', ()))}" for n, v in zip(exp.names, x, strict=False))
            raise UnsupportedError(
                f"the exported ONNX graph does not run the batch of shapes {shapes} (its sizes vary among the "
                f"batches, so they were exported as dynamic, but the trace fixed a size computed from them): "
                f"{type(e).__name__}: {exception_text(e, 200)}",
                "pad the inputs to one size in batches() and eval_batches(), or skip the onnx-* techniques") from e


TRACE_TOLERANCE = 1e-3
"""Most the fp32 graph's outputs may differ from the model's, as a fraction of the largest |output| (at least 1), on
a batch before the trace is called wrong: both run the same fp32 arithmetic, and the exports here agree to ~1e-5
(a BatchNorm CNN's onnx-fp32 max |diff| 6.7e-6, a TransformerEncoder's 1.8e-6), while a branch taken otherwise
than at export changes outputs by whole terms (utopt4's model scaling its hidden state by 0.9 per loop turn, the
turn count data-dependent)."""


def check_trace(model: Any, fp32_graph: bytes, bundle: ModelBundle, exp: Exported, device: str) -> list[str]:
    """Where the TorchScript exporter warned that it traced a Tensor into a Python value (Exported.traced_python):
    the fp32 graph against the model on the first SHAPE_SCAN_BATCHES training and held-out batches. An
    UnsupportedError naming the batch, the difference and the model's line where one disagrees beyond
    TRACE_TOLERANCE (the graph computes another function than the model's for that input: a --save'd .onnx would
    too); else a note that they agree on the batches read, and that inputs taking another branch would not. The
    warnings were silenced, and a model whose forward branched on its activations' mean was exported with the
    export batch's branch fixed and recommended as onnx-int8 (loss 2.295 vs 2.294, top-1 agreement 92%)."""
    import itertools

    import torch

    if not exp.traced_python:
        return []
    forward = session_forward(_session(fp32_graph, 1), exp)
    wrapped = _tensor_leaves(model, exp.layout)
    where = "; ".join(exp.traced_python[:2]) + (f" (+{len(exp.traced_python) - 2} more)"
                                                if len(exp.traced_python) > 2 else "")
    read = 0
    for source, make in (("training", bundle.batches), ("held-out", bundle.eval_batches)):
        if make is None:
            continue
        for i, item in enumerate(itertools.islice(make(), SHAPE_SCAN_BATCHES)):
            x = fp32_inputs(to_device(as_tuple(item[0]), device))
            with torch.no_grad():
                ref = [t.detach().float().cpu() for t in as_tuple(wrapped(*x))]
                try:
                    got = [t.float() for t in as_tuple(_tensor_leaves_of(forward(*x), exp.layout))]
                except Exception:  # a shape the graph does not run: _check_runs, next, says so with its fix
                    return []
            read += 1
            for r, g in zip(ref, got, strict=False):
                scale = max(1.0, float(r.abs().max())) if r.numel() else 1.0
                diff = float((r - g).abs().max()) if r.shape == g.shape and r.numel() else math.inf
                if not diff <= TRACE_TOLERANCE * scale:
                    raise UnsupportedError(
                        f"the TorchScript exporter traced a Tensor into a Python value ({where}), fixing a branch or "
                        f"loop count at the export batch's value, and the graph disagrees with the model on "
                        f"{source} batch {i + 1} (max |diff| {diff:.3g}, over {TRACE_TOLERANCE:g} of its largest "
                        "|output|): it computes another function than the model's for such inputs",
                        "write the data-dependent branch with tensor ops (torch.where, torch.cond) instead of Python "
                        "if/for on a Tensor's value, or skip the onnx-* techniques")
    return [f"the TorchScript exporter traced a Tensor into a Python value ({where}); the fp32 graph agrees with "
            f"the model on the {read} training and held-out batches read (within {TRACE_TOLERANCE:g} of the "
            "largest |output|), but an input that takes another branch there would run the export batch's"]


def _tensor_leaves_of(out: Any, layout: OutputLayout) -> tuple[Any, ...]:
    """The Tensor leaves of a rebuilt output, in the layout's order (as _tensor_leaves returns the model's)."""
    import torch
    from torch.utils._pytree import tree_flatten

    if layout.spec is None:
        return (out,)
    return tuple(x for x in tree_flatten(out)[0] if isinstance(x, torch.Tensor))


def _calibration_feeds(bundle: ModelBundle, names: list[str], n_batches: int) -> Iterator[dict[str, Any]]:
    for i, (inputs, _) in enumerate(bundle.batches()):
        if i >= n_batches:
            return
        yield {n: _calibration_value(x) for n, x in zip(names, as_tuple(inputs), strict=True)
               if isinstance(x, int | float) or hasattr(x, "is_floating_point")}  # None etc.: no graph input


def _calibration_value(x: Any) -> Any:
    """A batch's input as ONNX Runtime takes it: a float Tensor as float32, a Python number as numpy makes it (the
    TorchScript exporter declares a Python float input as double, an int as int64)."""
    import numpy as np

    if not hasattr(x, "is_floating_point"):
        return np.asarray(x)
    return x.detach().float().cpu().numpy() if x.is_floating_point() else x.detach().cpu().numpy()

