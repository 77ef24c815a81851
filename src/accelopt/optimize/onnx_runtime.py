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
import logging
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from accelopt.errors import UnsupportedError
from accelopt.optimize.base import OptionSpec, Target, Technique, Variant, register
from accelopt.optimize.compress import conv_count, copy_model, linear_count, state_dict_bytes, to_device
from accelopt.optimize.steps import wrapper_name
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
    """The exporters and the quantizer warn about deprecations and 'pre-processing'; none of it is the user's."""
    root = logging.getLogger()
    level = root.level
    try:
        root.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


@dataclass(frozen=True)
class OutputLayout:
    """How the exported graph's outputs rebuild the model's output: `names` (out0, out1, ...) are the leaves of
    torch's pytree flattening of one forward's output, `spec` its tree (None: one Tensor, or a structure holding
    something other than Tensors, of which only the first Tensor is exported, as before)."""

    names: list[str]
    spec: Any = None
    batched: list[str] = field(default_factory=list)
    """The outputs with a batch dimension (dim 0): exported as dynamic; a scalar (an aux loss) has none."""


def output_layout(out: Any) -> OutputLayout:
    """The layout of a model's output `out` (a Tensor, or a tuple/list/dict of Tensors such as (logits, aux)):
    the whole structure comes back from the session, so a loss_fn that reads out["logits"] or out[0] gets what
    the model returns (it was handed the first Tensor alone and raised, or read its first row)."""
    import torch
    from torch.utils._pytree import tree_flatten

    leaves, spec = tree_flatten(out)
    if isinstance(out, torch.Tensor) or not leaves or not all(isinstance(x, torch.Tensor) for x in leaves):
        return OutputLayout(["out0"], batched=["out0"])
    names = [f"out{i}" for i in range(len(leaves))]
    return OutputLayout(names, spec, [n for n, x in zip(names, leaves, strict=True) if x.dim() > 0])


def export_onnx(model: Any, inputs: tuple[Any, ...], path: Path) -> tuple[list[str], OutputLayout]:
    """Export `model(*inputs)` to `path` with the batch dimension dynamic; returns the input names and the
    outputs' layout.

    The TorchScript-based exporter (dynamo=False) first: it takes seconds where torch.export takes tens of
    seconds here; torch.export (dynamo=True) when the first fails."""
    import torch

    names = [f"in{i}" for i in range(len(inputs))]
    with torch.no_grad():
        layout = output_layout(model(*inputs))
    axes = {n: {0: "batch"} for n in [*names, *layout.batched]}
    with _quiet(), torch.no_grad():
        try:
            torch.onnx.export(model, inputs, str(path), input_names=names, output_names=layout.names,
                              dynamic_axes=axes, dynamo=False)
        except Exception as first:
            try:
                torch.onnx.export(model, inputs, str(path), input_names=names, output_names=layout.names,
                                  dynamo=True, external_data=False)
            except Exception as e:
                raise UnsupportedError(f"torch.onnx.export failed: {type(first).__name__}: {first}; "
                                       f"with dynamo=True: {type(e).__name__}: {e}",
                                       "make the model exportable (no data-dependent Python control flow), "
                                       "or skip the onnx-* techniques") from e
    return names, layout


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


def session_forward(session: Any, names: list[str], layout: OutputLayout | None = None) -> Callable[..., Any]:
    """forward(*torch tensors) -> the model's output rebuilt from the session's (a torch tensor, or the tuple/dict
    of them the model returns), run on numpy views of the inputs."""
    import torch
    from torch.utils._pytree import tree_unflatten

    layout = layout or OutputLayout(["out0"], batched=["out0"])

    def forward(*inputs: Any) -> Any:
        feed = {n: x.detach().cpu().numpy() for n, x in zip(names, fp32_inputs(inputs), strict=True)}
        outs = [torch.from_numpy(a) for a in session.run(layout.names, feed)]
        return outs[0] if layout.spec is None else tree_unflatten(outs, layout.spec)

    return forward


class _OnnxTechnique(Technique):
    family: ClassVar[str] = "quantization"
    modes: ClassVar[tuple[str, ...]] = ("inference",)

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target)
        if why:
            return why
        if target.device_type != "cpu":
            return (f"{self.name} runs in ONNX Runtime's CPU execution provider (the CPU/edge deployment path); "
                    f"the target is {target.device} — pass --device cpu to measure it")
        try:
            _import_ort()
        except UnsupportedError as e:
            return f"{e.problem} — {e.fix}"
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
            names, layout = export_onnx(model, inputs, src)
            with _quiet():
                path = self.quantize(src, Path(tmp) / "model-q.onnx", bundle, names, options)
            blob = path.read_bytes()
        session = _session(blob, torch.get_num_threads())
        setup_s = time.perf_counter() - t0
        fp32_bytes = state_dict_bytes(model)

        def save(folder: Path) -> Path:
            out = Path(folder) / f"model-{self.name}.onnx"
            out.write_bytes(blob)
            return out

        ort = _import_ort()
        notes = [f"exported with torch.onnx.export (batch dimension dynamic), run by onnxruntime {ort.__version__} "
                 f"CPUExecutionProvider with {torch.get_num_threads()} intra-op threads, spinning off, CPU memory "
                 "arena off (so the step's buffers count in memory; ONNX Runtime's defaults are spinning and the arena "
                 "on: set them so in deployment to run as measured)",
                 f".onnx file {len(blob):,} bytes vs the fp32 state dict's {fp32_bytes:,}", *self.notes(bundle)]
        if target.dtype != "fp32":
            notes.append(f"exported from an fp32 copy (the baseline runs {target.dtype}): ONNX Runtime's int8 "
                         "tooling quantizes from fp32")
        return Variant(technique=self.name, model=None, forward=session_forward(session, names, layout),
                       setup_s=setup_s, size_bytes=len(blob), params=dict(options), notes=notes, save=save)

    def notes(self, bundle: ModelBundle) -> list[str]:
        return []


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
        if why is None and linear_count(bundle.model) == 0:
            return (f"{bundle.name} has no Linear/MatMul layer for dynamic int8 to speed up — "
                    "use onnx-int8-static (calibrated, for convolutions)")
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
            return (f"{bundle.name} has no convolution; static calibration pays off on convolutions — "
                    "onnx-int8 (dynamic) covers Linear/MatMul models")
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


def _calibration_feeds(bundle: ModelBundle, names: list[str], n_batches: int) -> Iterator[dict[str, Any]]:
    for i, (inputs, _) in enumerate(bundle.batches()):
        if i >= n_batches:
            return
        yield {n: x.detach().float().cpu().numpy() if x.is_floating_point() else x.detach().cpu().numpy()
               for n, x in zip(names, as_tuple(inputs), strict=True)}

