"""Measure one real training or inference step: time, breakdown, FLOP/s, MFU, memory, energy, roofline.

Passes, in this order, each separate so instrumentation never touches the headline number:
1. warm-up (uninstrumented);
2. headline: `time_fn` over `steps` whole steps, synchronized at both ends of each (median, p10, p90);
3. breakdown: a few steps with a synchronize at every phase boundary (data wait, host-to-device
   copy, forward + loss, backward, optimizer step);
4. memory: one step under the peak-memory meter and the saved-tensor hooks (measure/memory.py);
5. roofline: a few steps under torch.profiler (measure/roofline.py), optional Chrome trace;
6. energy: whole steps repeated to fill a window of >= 100 ms under the best meter available.

MFU = workload_flops / step_time_median_s / peak_flop_per_s[dtype] (PaLM, Chowdhery et al. 2022,
appendix B, with the FLOPs counted from the captured step instead of 6N per token).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from accelopt.errors import AcceloptError, InputError, MeasurementError, UnsupportedError, of_kind
from accelopt.interrupts import stopped_by
from accelopt.measure.contention import ContentionReport, Watch, check_samples, check_setup
from accelopt.measure.diagnose import Diagnosis
from accelopt.measure.memory import LiveTensorMeter, MemoryBreakdown, SavedTensorMeter, measure_memory
from accelopt.measure.roofline import (
    INPUT_LABEL,
    Ceilings,
    RooflineRow,
    ceilings_from_spec,
    lift_ceilings,
    op_key,
    profile_op_times,
    quick_ceilings,
    roofline_rows,
    torch_dtype,
)
from accelopt.measure.timing import Stats, cuda_sync_for, time_fn
from accelopt.units import fmt_ratio, unit
from accelopt.workload.amp import autocast, autocast_refusal, has_fast_path
from accelopt.workload.batch import to_device
from accelopt.workload.storage import sparse_parts
from accelopt.workload.usercode import user_call

PHASES = ("data_wait", "h2d_copy", "forward", "backward", "optimizer")
ENERGY_WINDOW_S = 0.1
"""Shortest energy window: NVML's energy counter updates every few tens of ms (Zeus warns that a
shorter window can read zero); 100 ms keeps the counter's granularity a small share."""
MODES = ("train", "inference")
DTYPES = ("fp32", "bf16", "fp16")
BREAKDOWN_RATIO_RANGE = (0.5, 2.0)
"""The phased pass (synchronized at each boundary) must sum to 0.5-2x the headline median, else the
two passes did not measure the same machine state and the breakdown is marked disturbed."""
PROFILED_RATIO_MAX = 4.0
"""torch.profiler's per-op bookkeeping slows a step; a profiled step more than 4x the headline median
is not the same run (the roofline shares and the diagnosis drawn from it are withheld). Steps under
PROFILED_EXTRA_FLOOR_S longer than the headline pass regardless: on sub-millisecond steps the
profiler's fixed cost per op event dominates the ratio."""
PROFILED_EXTRA_FLOOR_S = 2e-3


@dataclass(kw_only=True)
class EnergyResult:
    """Energy of the profiled steps and where the figure comes from (a counter, or an estimate)."""

    energy_per_step_j: float | None = unit("J")
    energy_per_sample_j: float | None = unit("J")
    window_s: float | None = unit("s")
    steps_in_window: int = unit("count")
    source: str
    is_estimate: bool
    note: str = ""



@dataclass(kw_only=True)
class InputDependence:
    """Whether the model's work depends on its input: one recorded forward (+ loss in train mode, as the captured
    step runs it) of each of the first two batches of a fresh batches() iterator, counted as the capture counts.
    The captured step's FLOPs are those of batch 1; the timed steps run every batch in turn."""

    forward_flops: list[float] = unit("FLOP")
    """Forward FLOPs of batch 1 and batch 2."""
    aten_calls: list[int] = unit("count")
    """Aten ops the forward of batch 1 and of batch 2 ran."""
    same_shapes: bool
    """The two batches' tensors have the same shapes (else the work varies with the shapes, e.g. packed sequences of
    varying length, as well as with the values)."""
    varies: bool
    """The two forwards' FLOPs or aten calls differ: the step's path depends on the data."""

    @property
    def note(self) -> str:
        """'' or what the variation means for the figures (console, page and the diagnosis notes)."""
        if not self.varies:
            return ""
        f1, f2 = self.forward_flops
        from accelopt.units import fmt_flops

        why = ("the two batches' shapes differ" if not self.same_shapes else
               "same shapes: a data-dependent branch, early exit or routing")
        return (f"the work varies with the input ({why}): the forward of batch 1 ran {fmt_flops(f1)} in "
                f"{self.aten_calls[0]:,} aten ops, of batch 2 {fmt_flops(f2)} in {self.aten_calls[1]:,}; FLOPs per "
                "step, achieved FLOP/s, MFU and the roofline's FLOPs are batch 1's, while the timed steps ran every "
                "batch in turn")


@dataclass(kw_only=True)
class ProfileRun:
    """What was asked for: the model, mode, dtype and device of a profile, its batch and step counts.

    The first fields of a ProfileResult and of a PartialProfile (the same names, units and JSON order)."""

    name: str
    mode: str
    dtype: str
    device: str
    batch_size: int = unit("count")
    steps: int = unit("count")
    """Headline steps asked for (--steps)."""
    warmup: int = unit("count")


@dataclass(kw_only=True)
class ProfileResult(ProfileRun):
    """A Measurement of one model's step on one device (times in s, memory in bytes, energy in J)."""

    SCHEMA_KIND: ClassVar[str] = "profile"
    SCHEMA_VERSION: ClassVar[int] = 7
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3, 4, 5, 6)
    """Version 2 declares samples_per_s a rate (samples/s, was 'count'); the values are the same, so version 1 reads.
    Version 3: diagnosis.withheld and diagnosis.withheld_recommendations (a withheld diagnosis's recommendations are
    moved there; 1 and 2 read, their diagnosis as standing). Version 4: optimize_command (default null; 1 to 3
    read). Version 5: ceilings.vector_peak_label, which peak the non-matmul roof is (an fp64 step's is the fp64
    vector peak, was the fp32 one; default 'fp32 vector', what 1 to 4 used; they read). Version 6:
    memory.buffers_bytes, the model's registered buffers (default 0; 1 to 5 read, their buffers unsaid). Version 7:
    input_dependence, the forward work of two batches compared (default null, not checked; 1 to 6 read)."""
    DERIVED_UNITS: ClassVar[dict[str, str]] = {"samples_per_s": "samples/s", "mfu_formula": "", "overhead_rule": ""}

    step_time: Stats
    breakdown: dict[str, Stats]
    flops_per_step: float = unit("FLOP")
    matmul_flops_per_step: float = unit("FLOP")
    achieved_flop_per_s: float = unit("FLOP/s")
    peak_dtype: str
    catalog_name: str | None
    catalog_peak_flop_per_s: float | None = unit("FLOP/s")
    mfu_catalog: float | None = unit("fraction")
    probed_name: str | None
    probed_peak_flop_per_s: float | None = unit("FLOP/s")
    mfu_probed: float | None = unit("fraction")
    memory: MemoryBreakdown
    energy: EnergyResult
    ceilings: Ceilings
    roofline: list[RooflineRow]
    op_time_kind: str
    profiled_step_s: float = unit("s")
    """Wall time per step under torch.profiler (the denominator of the roofline time shares)."""
    environment: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    call_overhead_s: float | None = unit("s", default=None)
    """Measured fixed cost of one op call (roofline.measure_call_overhead), the overhead-bound yardstick."""
    trace_path: str | None = None
    trace_error: str | None = None
    """Why the Chrome trace could not be written; the measurement itself is complete."""
    diagnosis: Diagnosis | None = None
    """Filled by accelopt.measure.diagnose.diagnose()."""
    contention: ContentionReport = field(default_factory=ContentionReport)
    """Signs that the machine was busy while measuring, and which figures they disturbed."""
    nonfinite: str | None = None
    """What was not finite (loss, output or gradients) when --allow-nonfinite let the run continue."""
    unmodeled_ops: dict[str, int] = field(default_factory=dict, metadata={"unit": "count"})
    """Ops of the captured step whose FLOPs/bytes the capture does not model (name -> calls)."""
    optimize_command: str | None = None
    """The `accelopt optimize` command line that measures this model at the shape profiled: MODEL as typed and the
    flags that set the step (--size, --mode, --batch-size, --seq-len, --dtype, --device, --threads); the diagnosis's
    'test it with' adds --only. Null where the profile was not run from the command line."""
    input_dependence: InputDependence | None = None
    """The forward work of the first two batches compared (check_input_dependence); null where batches() yields
    fewer than two batches, or in a record written before version 7."""

    @property
    def conclusions_withheld(self) -> bool:
        """True when the roofline pass disagrees with the headline: no diagnosis is drawn from it."""
        return "roofline" in self.contention.disturbed

    @property
    def samples_per_s(self) -> float:
        return self.batch_size / self.step_time.median

    def breakdown_total_s(self) -> float:
        return sum(s.median for s in self.breakdown.values())

    @property
    def mfu_formula(self) -> str:
        return "flops_per_step / step_time.median / peak_flop_per_s[peak_dtype]"

    @property
    def overhead_rule(self) -> str:
        """When the roofline table calls an op overhead-bound."""
        return ("dispatches_per_step * call_overhead_s >= t / 2 and roofline_time_s < t / 2, "
                "t = calls_per_step x the median call time")


PASSES = ("capture", "warm-up", "headline", "breakdown", "memory", "roofline", "energy")
"""The passes of `profile_step` in order (the module docstring), as named in a PartialProfile."""


@dataclass(kw_only=True)
class PartialProfile(ProfileRun):
    """What a profile measured before Ctrl-C stopped it, or before the model raised in a later pass: the finished
    passes' figures, and what is missing.

    Recorded in the run history (command 'profile-partial'); every figure here is from the steps that completed.
    JSON shape: accelopt.report.schema, kind 'profile-partial'."""

    SCHEMA_KIND: ClassVar[str] = "profile-partial"
    SCHEMA_VERSION: ClassVar[int] = 4
    # 2 added failed (default ''); 3 stopped_by (default ''); 4 memory.buffers_bytes (default 0)
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3)
    LEGACY_UNVERSIONED: ClassVar[bool] = True
    """Records written before the schema (no `schema` field) have this shape and load as version 1."""

    interrupted: bool = True
    """True when Ctrl-C stopped the run; False when `failed` did."""
    interrupted_during: str
    """The pass that Ctrl-C or the failure stopped (one of PASSES)."""
    failed: str = ""
    """The error that stopped the run in that pass (the model's own exception, as `profile` prints it); '' when
    Ctrl-C did."""
    stopped_by: str = ""
    """The signal that stopped the run, as interrupts.stopped_by names it: 'Ctrl-C' or 'SIGTERM'; '' when `failed`
    did, and in a record written before version 3 (then said as 'Ctrl-C or SIGTERM')."""
    done: list[str]
    """Passes that finished before it."""
    missing: list[str]
    """Passes not finished: their figures are absent (None or empty) here."""
    step_time: Stats | None = None
    """Over the headline steps completed (`step_time.n` of `steps`); None when none completed."""
    breakdown: dict[str, Stats] = field(default_factory=dict)
    memory: MemoryBreakdown | None = None
    flops_per_step: float | None = unit("FLOP", default=None)
    """From the captured step; None when the capture did not finish."""
    achieved_flop_per_s: float | None = unit("FLOP/s", default=None)
    """flops_per_step / step_time.median over the completed headline steps."""
    environment: dict[str, Any] = field(default_factory=dict)


class ProfileFailed(AcceloptError):
    """The model (or a check on its step) raised in a pass after capture: the error's problem, naming the pass, and
    its fix (exit 2), carrying what the finished passes measured (`partial`, its `failed` set) so that none of it is
    lost."""

    def __init__(self, partial: PartialProfile, error: AcceloptError) -> None:
        done = ", ".join(partial.done) or "nothing"
        super().__init__(f"{error.problem} (in profile's {partial.interrupted_during} pass; measured before it: "
                         f"{done}, kept)", error.fix)
        self.partial = partial


def _profile_failed(partial: PartialProfile, error: AcceloptError) -> ProfileFailed:
    """ProfileFailed of the same kind as `error`: a MeasurementError (a NaN loss) stays a MeasurementError, an
    InputError an InputError, so a library caller catching the original class still catches it (profile_step's
    contract before partial results were kept); the CLI catches ProfileFailed."""
    return of_kind(ProfileFailed, error)(partial, error)


class ProfileInterrupted(KeyboardInterrupt):
    """Ctrl-C during `profile_step`, carrying what was measured before it (`partial`). A KeyboardInterrupt,
    so a caller that does not look for it still stops as on any Ctrl-C."""

    def __init__(self, partial: PartialProfile) -> None:
        super().__init__("interrupted")
        self.partial = partial


@dataclass
class _Passes:
    """What `profile_step` has measured so far, pass by pass (read back into a PartialProfile on Ctrl-C)."""

    now: str = "capture"
    step_samples: list[float] = field(default_factory=list)
    breakdown: dict[str, Stats] = field(default_factory=dict)
    memory: MemoryBreakdown | None = None
    flops_per_step: float | None = None

    def partial(self, bundle: Any, *, mode: str, dtype: str, device: str, steps: int,
                warmup: int, failed: str = "") -> PartialProfile:
        done = list(PASSES[:PASSES.index(self.now)])
        step_time = Stats.of(self.step_samples) if self.step_samples else None
        achieved = (self.flops_per_step / step_time.median if step_time is not None and self.flops_per_step
                    and step_time.median > 0 else None)
        return PartialProfile(name=bundle.name, mode=mode, dtype=dtype, device=device, batch_size=bundle.batch_size,
                              steps=steps, warmup=warmup, interrupted_during=self.now, done=done,
                              missing=[p for p in PASSES if p not in done], step_time=step_time,
                              breakdown=self.breakdown, memory=self.memory, flops_per_step=self.flops_per_step,
                              achieved_flop_per_s=achieved, environment=_environment(device),
                              interrupted=not failed, failed=failed, stopped_by="" if failed else stopped_by())


# ---- running a step -------------------------------------------------------------------------------

def _as_args(inputs: Any) -> tuple[Any, ...]:
    return tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)


class StepRunner:
    """One model + optimizer + endless batch stream; `step()` is one whole training/inference step.

    dtype bf16/fp16 with fp32 weights runs under torch.autocast (mixed precision); weights already
    in a low-precision dtype run as they are.
    """

    def __init__(self, bundle: Any, *, mode: str, dtype: str, device: str) -> None:

        self.bundle = bundle
        self.device = device
        self.train = mode == "train"
        self.model = bundle.model.to(device)
        self.model.train(self.train)
        self.what = f"in {'an' if mode == 'inference' else 'a'} {mode} step"
        self.optimizer = user_call(bundle, "building its optimizer", bundle.optimizer) if self.train else None
        self.autocast_dtype = torch_dtype(dtype) if dtype != "fp32" and weights_fp32(self.model) else None
        self.device_type = device.split(":")[0]
        self.fast_path = (has_fast_path(self.model) if self.autocast_dtype is not None and self.device_type == "cpu"
                          else False)  # once per run: autocast() would walk every module each step
        self.sync = cuda_sync_for(device)
        self._it: Iterator[Any] = iter(bundle.batches())
        self.last_value: Any = None
        """The last step's loss (train) or output (inference), kept for the finiteness check (no sync)."""
        self.input_label: str | None = None
        """Set (roofline.INPUT_LABEL) in the roofline pass: the batch fetch and copy run in that record_function
        range, which the op attribution leaves out (the input pipeline is the breakdown's data wait and h2d copy)."""

    def next_batch(self) -> tuple[Any, Any]:
        """The next (inputs, targets); the stream restarts from `batches()` when it runs out. A batch of fewer
        samples than batch_size after the first (a ragged last one) is left out: its step was timed as batch_size
        samples (a 21-row batch of 32 counted as 32 in samples/s)."""
        short = getattr(self.bundle, "is_short_batch", None)
        while True:
            try:
                item = next(self._it)
            except StopIteration:
                return self._restart()
            if short is None or not short(item):
                return item  # type: ignore[no-any-return]

    def _restart(self) -> tuple[Any, Any]:
        """The first batch of a fresh `batches()` (check_batch_rows refuses a short first one)."""
        try:
            self._it = iter(self.bundle.batches())
            return next(self._it)  # type: ignore[no-any-return]
        except StopIteration:
            raise InputError(f"model {self.bundle.name!r}: batches() yielded nothing",
                             "return an iterator with at least one (inputs, targets)") from None

    def to_device(self, batch: tuple[Any, Any]) -> tuple[Any, Any]:
        return to_device(batch, self.device)  # type: ignore[no-any-return]

    def forward(self, inputs: Any, targets: Any) -> Any:
        """Forward + loss (train) or forward only (inference)."""
        import torch

        ctx: Any = (autocast(self.device_type, self.autocast_dtype, self.model, fast_path=self.fast_path)
                    if self.autocast_dtype is not None else _Null())
        with ctx:
            if not self.train:
                with torch.inference_mode():
                    return self.model(*_as_args(inputs))
            out = self.model(*_as_args(inputs))
            return self.bundle.loss_fn(out, targets)

    def backward(self, loss: Any) -> None:
        loss.backward()

    def optimizer_step(self) -> None:
        assert self.optimizer is not None
        self.optimizer.step()

    def step(self, saved: SavedTensorMeter | None = None, live: LiveTensorMeter | None = None) -> None:
        """One whole step, unsynchronized (callers synchronize around it). `saved` counts what a training
        forward saves for backward; `live` the tensors an inference forward creates. The model's own exception
        is a ModelCodeError naming it."""
        user_call(self.bundle, self.what, self._step, saved, live)

    def _step(self, saved: SavedTensorMeter | None, live: LiveTensorMeter | None) -> None:
        if self.input_label:
            import torch

            with torch.profiler.record_function(self.input_label):
                inputs, targets = self.to_device(self.next_batch())
        else:
            inputs, targets = self.to_device(self.next_batch())
        if not self.train:
            self.last_value = None  # the previous output is not this step's activation
            if live is not None:
                with live.track():
                    self.last_value = self.forward(inputs, targets)
            else:
                self.last_value = self.forward(inputs, targets)
            return
        assert self.optimizer is not None
        self.optimizer.zero_grad(set_to_none=True)
        if saved is not None:
            with saved.track():
                loss = self.forward(inputs, targets)
        else:
            loss = self.forward(inputs, targets)
        self.last_value = loss.detach()
        if saved is not None:
            with saved.watch_backward():  # a checkpointed model's blocks run again here
                self.backward(loss)
        else:
            self.backward(loss)
        self.optimizer_step()

    def nonfinite(self, *, grads: bool = False) -> str | None:
        """What is not finite after the last step (loss/output, and the gradients when `grads`), else None.
        Reads device values, so it synchronizes: call it between timed passes, never inside one."""
        import torch

        def bad(x: Any) -> bool:
            if isinstance(x, torch.Tensor):
                parts = sparse_parts(x)  # a sparse gradient (Embedding(sparse=True)): isfinite has no sparse kernel
                x = parts[-1] if parts else x
                return x.is_floating_point() and not bool(torch.isfinite(x).all())
            if isinstance(x, tuple | list):
                return any(bad(v) for v in x)
            if isinstance(x, dict):
                return any(bad(v) for v in x.values())
            if dataclasses.is_dataclass(x) and not isinstance(x, type):  # an output dataclass: a NaN in it passed
                return any(bad(getattr(x, f.name)) for f in dataclasses.fields(x))
            return False

        what = "loss" if self.train else "output"
        if bad(self.last_value):
            shown = f" = {float(self.last_value)}" if self.train and self.last_value.numel() == 1 else ""
            return f"the {what}{shown} is not finite"
        if grads and self.train:
            names = [n for n, p in self.model.named_parameters() if p.grad is not None and bad(p.grad)]
            if names:
                return f"gradients of {len(names)} parameter(s) are not finite (first: {names[0]})"
        return None

    def step_phased(self) -> dict[str, float]:
        """One step with a synchronize at each phase boundary; seconds per phase."""
        return user_call(self.bundle, self.what, self._step_phased)  # type: ignore[no-any-return]

    def _step_phased(self) -> dict[str, float]:
        sync, clock = self.sync, time.perf_counter
        out = dict.fromkeys(PHASES, 0.0)
        if self.optimizer is not None:
            self.optimizer.zero_grad(set_to_none=True)
        sync()
        t0 = clock()
        batch = self.next_batch()
        sync()
        t1 = clock()
        inputs, targets = self.to_device(batch)
        sync()
        t2 = clock()
        loss = self.forward(inputs, targets)
        sync()
        t3 = clock()
        out.update(data_wait=t1 - t0, h2d_copy=t2 - t1, forward=t3 - t2)
        if self.train:
            self.backward(loss)
            sync()
            t4 = clock()
            self.optimizer_step()
            sync()
            out.update(backward=t4 - t3, optimizer=clock() - t4)
        return out

    def run(self, n: int) -> None:
        for _ in range(n):
            self.step()
        self.sync()


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# ---- the passes -----------------------------------------------------------------------------------

def measure_breakdown(runner: StepRunner, steps: int) -> dict[str, Stats]:
    samples: dict[str, list[float]] = {p: [] for p in PHASES}
    for _ in range(steps):
        for p, dt in runner.step_phased().items():
            samples[p].append(dt)
    keep = PHASES if runner.train else PHASES[:3]
    return {p: Stats.of(samples[p]) for p in keep}


def measure_energy(runner: StepRunner, *, step_time_s: float, batch_size: int, spec: Any) -> EnergyResult:
    """Energy per step over whole steps filling >= ENERGY_WINDOW_S (the best meter for the device)."""
    try:
        from accelopt.measure.energy import best_meter
    except ImportError:
        return EnergyResult(energy_per_step_j=None, energy_per_sample_j=None, window_s=None, steps_in_window=0,
                            source="none", is_estimate=False, note="accelopt.measure.energy is not available")
    n = 0
    try:
        meter = best_meter(runner.device, _same_kind(spec, runner.device))
        runner.sync()
        meter.start()
        t0 = time.perf_counter()
        # whole steps until the measured elapsed time (not an earlier median's guess) fills the window + 20%;
        # chunks double from the median's guess so a wrong guess costs at most about twice the window
        chunk = max(1, min(math.ceil(ENERGY_WINDOW_S / max(step_time_s, 1e-9) / 4), 64))
        while n == 0 or time.perf_counter() - t0 < 1.2 * ENERGY_WINDOW_S:
            runner.run(chunk)  # synchronizes at its end, so the clock sees finished work
            n += chunk
            elapsed = time.perf_counter() - t0
            per_step = elapsed / n
            chunk = max(1, min(chunk * 2, math.ceil((1.2 * ENERGY_WINDOW_S - elapsed) / max(per_step, 1e-9))))
        reading = meter.stop()
    except (MeasurementError, UnsupportedError) as e:
        return EnergyResult(energy_per_step_j=None, energy_per_sample_j=None, window_s=None, steps_in_window=n,
                            source="none", is_estimate=False, note=e.problem)
    per_step = reading.energy_j / n
    return EnergyResult(energy_per_step_j=per_step, energy_per_sample_j=per_step / batch_size,
                        window_s=reading.duration_s, steps_in_window=n, source=str(reading.source),
                        is_estimate=bool(reading.is_estimate), note=str(getattr(reading, "note", "")))


def _same_kind(spec: Any, device: str) -> Any:
    """`spec` if it describes this kind of device, else None: --catalog-device h100-sxm on a CPU run sets
    the peaks for MFU, but its TDP says nothing about the CPU's power, so it must not feed an estimate."""
    if spec is None:
        return None
    kind = getattr(spec, "kind", None)
    return spec if kind == ("gpu" if device.startswith("cuda") else "cpu") else None


def peak_dtype_for(dtype: str, device: str) -> str:
    """The peak an fp32 step runs at: TF32 tensor cores when torch allows TF32 matmuls on CUDA."""
    if dtype == "fp32" and device.startswith("cuda"):
        import torch

        if torch.backends.cuda.matmul.allow_tf32:
            return "tf32"
    return dtype


def mfu(flops: float, step_s: float, peak: float | None) -> float | None:
    """flops / step_s / peak; None where the peak does not apply (torchtitan's convention)."""
    if peak is None or peak <= 0 or step_s <= 0:
        return None
    return flops / step_s / peak


def _environment(device: str) -> dict[str, Any]:
    import platform

    import torch

    env: dict[str, Any] = {"torch": torch.__version__, "python": platform.python_version(),
                           "threads": torch.get_num_threads(), "device": device}
    if device.startswith("cuda"):
        env["device_name"] = torch.cuda.get_device_name(device)
    else:
        env["device_name"] = platform.processor() or platform.machine()
    return env


def weights_fp32(model: Any) -> bool:
    """True when autocast applies to `model` (its first parameter is fp32, or it has none): StepRunner and the capture
    autocast only then; weights already bf16/fp16 run as they are."""
    import torch

    first = next(model.parameters(), None)
    return first is None or first.dtype == torch.float32


def capture_for_profile(bundle: Any, mode: str, dtype: str, device: str) -> Any:
    """The captured step, run as StepRunner runs it: under autocast only over fp32 weights (a bf16 model captured
    under bf16 autocast recorded fp32 log-softmax and casts the real step never ran)."""
    dtype = dtype if weights_fp32(bundle.model) else "fp32"
    try:
        from accelopt.workload.capture import capture_workload
    except ImportError as e:
        raise UnsupportedError("workload capture (accelopt.workload.capture) is not available",
                               "pass a Workload to profile_step(workload=...)") from e
    check_trainable(bundle, mode)
    check_autocast(bundle, dtype, device, _AUTOCAST_FIX)
    # one un-recorded step first so optimizer-state allocation (first step only) is not in the steady-state work
    return user_call(bundle, f"while its {mode} step was captured", lambda: capture_workload(
        bundle, mode=mode, dtype=dtype, device=device, warmup_steps=1 if mode == "train" else 0))


_AUTOCAST_FIX = ("profile it at --dtype fp32 on this CPU, or give it bf16 weights (model.to(torch.bfloat16): it then "
                 "runs without autocast, as this CPU's LSTM kernel takes it)")


def check_autocast(bundle: Any, dtype: str, device: str, fix: str) -> None:
    """An InputError, before anything runs, where `dtype`'s autocast cannot run the model on `device` (an nn.LSTM
    under CPU bf16 autocast: amp.autocast_refusal), instead of the model's 'raised RuntimeError' mid-capture."""
    if dtype == "fp32" or not weights_fp32(bundle.model):  # weights already bf16/fp16 run without autocast
        return
    why = autocast_refusal(bundle.model, "cuda" if device.startswith("cuda") else device, torch_dtype(dtype))
    if why is not None:
        raise InputError(f"model {bundle.name!r} at --dtype {dtype}: {why}", fix)


def check_trainable(bundle: Any, mode: str, fix: str = "use --mode inference") -> None:
    """A train step of a model with no trainable parameter has nothing to update (torch's optimizers refuse it)."""
    if mode == "train" and not any(p.requires_grad for p in bundle.model.parameters()):
        raise InputError(f"model {bundle.name!r} has no trainable parameters (requires_grad): --mode train has "
                         "nothing to update", fix)


MAX_STEPS = 10**6
"""Most --steps / --warmup accepted: a million steps of the smallest model already take minutes."""


def check_args(*, mode: str, dtype: str, device: str, steps: int, warmup: int) -> None:
    if mode not in MODES:
        raise InputError(f"mode {mode!r} is not one of {', '.join(MODES)}", "use --mode train or --mode inference")
    if dtype not in DTYPES:
        raise InputError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}", "use --dtype fp32, bf16 or fp16")
    if steps < 3:
        raise InputError(f"steps = {steps} is too few for a median and p10/p90", "use --steps 3 or more")
    if warmup < 0:
        raise InputError(f"warmup = {warmup} is negative", "use 0 or more warm-up steps")
    if steps > MAX_STEPS or warmup > MAX_STEPS:  # a typo (1e20) would measure forever
        raise InputError(f"steps = {steps:,} / warmup = {warmup:,}: at most {MAX_STEPS:,} each",
                         f"use --steps and --warmup up to {MAX_STEPS:,}")
    if not device.strip():  # `--device ' '`, read through hardware.detect.device_name, is '': said as empty
        raise InputError("--device is empty", "write cpu or cuda:N, or leave --device out for the default cpu")
    if device.startswith("cuda"):
        import torch

        try:
            index = torch.device(device).index
        except RuntimeError:
            raise InputError(f"device {device!r} is not a device name", "use --device cpu, cuda or cuda:N") from None
        if not torch.cuda.is_available():
            raise UnsupportedError(f"device {device!r} was asked for but torch sees no CUDA device",
                                   "use --device cpu, or run on a machine with a CUDA GPU and a CUDA build of torch")
        count = torch.cuda.device_count()
        if index is not None and index >= count:
            raise UnsupportedError(f"device {device!r} does not exist: torch sees {count} CUDA device(s)",
                                   f"use --device cuda:0 ... cuda:{count - 1}")
    elif device != "cpu":
        raise InputError(f"device {device!r} is not supported", "use --device cpu or cuda:N")


def measured_kind(device: str) -> str:
    """The spec kind of a torch device profile runs on: 'cpu' for cpu, 'gpu' for cuda:N (check_args allows no other)."""
    return "cpu" if device == "cpu" else "gpu"


def spec_kind_notes(device: str, specs: Iterable[tuple[Any, str]]) -> list[str]:
    """A note for each (spec, flag) whose spec describes another kind of device than `device`: its peaks and roofs
    are then the yardstick of MFU, the roofline and the dtype recommendation of a step they did not run."""
    kind = measured_kind(device)
    fix = ("pass a cpu entry (`accelopt catalog list --kind cpu`) or `accelopt probe` on this machine (--probed), "
           "or run the step on the GPU with --device cuda:0" if kind == "cpu" else
           "pass a gpu entry (`accelopt catalog list --kind gpu`) or `accelopt probe --device "
           f"{device}` (--probed)")
    ran_on = device if device == kind else f"{device} ({_a(kind)} {kind})"
    return [f"{flag} {spec.name} is {_a(spec.kind)} {spec.kind} but the step ran on {ran_on}: MFU, the roofs and "
            f"the dtype recommendation compare this {kind}'s times with {_a(spec.kind)} {spec.kind}'s peaks and "
            f"describe neither device; {fix}"
            for spec, flag in specs if spec is not None and spec.kind != kind]


def dtype_notes(asked: str, model: Any) -> list[str]:
    """A note where --dtype `asked` (bf16, fp16: autocast) is not the dtype `model`'s step runs in (step_dtype: every
    floating weight already bf16 or fp16, run as it is): `--dtype fp16` of a bf16 model was profiled and reported as
    bf16 without a word. fp32, the default, is not said: it asks for no autocast."""
    from accelopt.workload.capture import step_dtype

    ran = step_dtype(model, asked)
    if asked == "fp32" or ran == asked:
        return []
    return [f"--dtype {asked} was not applied: every floating weight of the model is {ran} already, so its step runs "
            f"as it is (autocast applies over fp32 weights only) and every figure here is {ran}'s; give the model "
            f"fp32 weights to profile it under {asked} autocast"]


def _a(kind: str) -> str:
    """The article of a device kind read letter by letter ('a gpu', 'an asic', 'an fpga', 'an npu')."""
    return "an" if kind[:1] in tuple("aefhilmnorsx") else "a"


def profile_step(bundle: Any, *, mode: str = "train", dtype: str = "fp32", device: str = "cpu", steps: int = 20,
                 warmup: int = 3, spec: Any = None, probed_spec: Any = None, trace_path: str | None = None,
                 workload: Any = None, breakdown_steps: int | None = None, profiler_steps: int | None = None,
                 ceilings: Ceilings | None = None, allow_nonfinite: bool = False,
                 on_pass: Callable[[str], None] | None = None) -> ProfileResult:
    """Measure `bundle`'s step on `device`; see the module docstring for the passes.

    spec / probed_spec: AcceleratorSpec from the catalog / from `accelopt probe` (either may be None).
    workload: the captured Workload of one step (captured here when None).
    ceilings: roofline roofs; by default the probed spec, else the catalog spec, else quick_ceilings().
    allow_nonfinite: a non-finite loss, output or gradient is a MeasurementError unless this is set, in
        which case the run continues and the result says what was not finite.
    on_pass: called with a short description as each pass starts (progress for the CLI).
    """
    say = on_pass or (lambda text: None)
    check_args(mode=mode, dtype=dtype, device=device, steps=steps, warmup=warmup)
    from accelopt.workload.capture import step_dtype  # lazily, as capture_for_profile imports capture

    dtype = step_dtype(bundle.model, dtype)  # a model already in bf16 runs (and is reported) in bf16
    check_autocast(bundle, dtype, device, _AUTOCAST_FIX)
    got = _Passes()
    try:
        return _run_passes(got, say, bundle, mode=mode, dtype=dtype, device=device, steps=steps, warmup=warmup,
                           spec=spec, probed_spec=probed_spec, trace_path=trace_path, workload=workload,
                           breakdown_steps=breakdown_steps, profiler_steps=profiler_steps, ceilings=ceilings,
                           allow_nonfinite=allow_nonfinite)
    except KeyboardInterrupt:  # keep what the finished passes measured
        raise ProfileInterrupted(got.partial(bundle, mode=mode, dtype=dtype, device=device, steps=steps,
                                             warmup=warmup)) from None
    except AcceloptError as e:  # the model raised in a later pass (its backward, under the memory meters, ...)
        if got.now == "capture":  # nothing measured yet: the error as it is
            raise
        partial = got.partial(bundle, mode=mode, dtype=dtype, device=device, steps=steps, warmup=warmup,
                              failed=e.problem)
        raise _profile_failed(partial, e) from e


def _run_passes(got: _Passes, say: Callable[[str], None], bundle: Any, *, mode: str, dtype: str, device: str,
                steps: int, warmup: int, spec: Any, probed_spec: Any, trace_path: str | None, workload: Any,
                breakdown_steps: int | None, profiler_steps: int | None, ceilings: Ceilings | None,
                allow_nonfinite: bool) -> ProfileResult:
    """profile_step's passes; each one's figures go into `got` as it finishes."""
    if workload is None:
        workload = capture_for_profile(bundle, mode, dtype, device)
    got.flops_per_step = float(workload.total_flops())
    say("counting the forward work of two batches (does it vary with the input?)")
    input_dependence = check_input_dependence(bundle, mode, dtype, device)
    got.now = "warm-up"
    runner = StepRunner(bundle, mode=mode, dtype=dtype, device=device)
    say(f"warm-up: {max(warmup, 1)} step(s)")
    contention = ContentionReport()
    threads = _cpu_threads(device)
    watch = Watch()
    check_setup(contention, threads=threads, load_1min=watch.load_1min)
    runner.step()  # at least one step before the finiteness check, even with --warmup 0
    for _ in range(max(0, warmup - 1)):
        runner.step()
    nonfinite = _check_finite(runner, allow_nonfinite, grads=True, when="after the warm-up")
    got.now = "headline"
    say(f"timing {steps} steps (headline, uninstrumented)")
    headline = time_fn(runner.step, warmup=0, repeats=steps, sync=runner.sync, into=got.step_samples)
    check_samples(contention, "step time", headline.samples,
                  work_varies=input_dependence is not None and input_dependence.varies)
    nonfinite = nonfinite or _check_finite(runner, allow_nonfinite, when="after the timed steps")
    got.now = "breakdown"
    say("breakdown pass (synchronized at each phase)")
    breakdown = got.breakdown = measure_breakdown(runner, breakdown_steps or max(3, min(steps, 10)))
    # the CPU-time window spans warm-up, headline and breakdown: long enough for /proc/stat's clock ticks
    watch.finish(contention, ["step time", "breakdown"], threads=threads)
    saved = SavedTensorMeter(exclude=runner.model.parameters()) if runner.train else None
    live = None if runner.train else LiveTensorMeter(exclude=[*runner.model.parameters(), *runner.model.buffers()])
    got.now = "memory"
    say("memory pass")
    memory = got.memory = measure_memory(model=runner.model, optimizer=runner.optimizer,
                                         step=lambda: runner.step(saved=saved, live=live), device=device,
                                         train=runner.train, saved=saved, live=live)
    got.now = "roofline"
    pdt = peak_dtype_for(dtype, device)
    if ceilings is None and probed_spec is None and spec is None:
        say("measuring roofs in process (matmul, cache and DRAM copies)")
    roofs = ceilings or _pick_ceilings(probed_spec, spec, pdt, device)
    say("roofline pass (torch.profiler)")
    known = {op_key(o.name) for o in workload.ops}
    runner.input_label = INPUT_LABEL
    try:
        times = profile_op_times(runner.step, runner.sync, profiler_steps or max(2, min(steps, 5)), device, known,
                                 trace_path)
    finally:
        runner.input_label = None
    roofs = lift_ceilings(workload, times, roofs)
    rows = roofline_rows(workload, times, roofs)
    check_passes(contention, headline.median, sum(b.median for b in breakdown.values()), times.wall_per_step_s)
    got.now = "energy"
    say("energy pass")
    energy = measure_energy(runner, step_time_s=headline.median, batch_size=bundle.batch_size,
                            spec=spec if spec is not None else probed_spec)
    flops = float(workload.total_flops())
    cat_peak = spec.peak(pdt) if spec is not None else None
    probed_peak = probed_spec.peak(pdt) if probed_spec is not None else None
    return ProfileResult(
        name=bundle.name, mode=mode, dtype=dtype, device=device, batch_size=bundle.batch_size, steps=steps,
        warmup=warmup, step_time=headline, breakdown=breakdown, flops_per_step=flops,
        matmul_flops_per_step=float(workload.matmul_flops()), achieved_flop_per_s=flops / headline.median,
        peak_dtype=pdt, catalog_name=spec.name if spec is not None else None, catalog_peak_flop_per_s=cat_peak,
        mfu_catalog=mfu(flops, headline.median, cat_peak),
        probed_name=probed_spec.name if probed_spec is not None else None, probed_peak_flop_per_s=probed_peak,
        mfu_probed=mfu(flops, headline.median, probed_peak), memory=memory, energy=energy, ceilings=roofs,
        roofline=rows, op_time_kind=times.time_kind,
        profiled_step_s=times.wall_per_step_s, environment=_environment(device),
        meta=_result_meta(bundle), call_overhead_s=times.call_overhead_s,
        trace_path=trace_path, trace_error=times.trace_error, contention=contention, nonfinite=nonfinite,
        unmodeled_ops=dict(getattr(workload, "meta", {}).get("unmodeled_ops", {}) or {}),
        input_dependence=input_dependence)


def check_input_dependence(bundle: Any, mode: str, dtype: str, device: str) -> InputDependence | None:
    """The forward work (capture.forward_work) of the first two batches of a fresh batches() iterator; None when it
    yields fewer than two. profile reported the captured batch's FLOPs alone, so a model whose path depends on the
    data (a branch on x.mean(), an early exit, MoE-style routing, packed sequences of varying length) was given one
    batch's FLOPs as every step's, unsaid. Two batches that take the same path prove nothing: only a difference is
    reported."""
    import torch
    from torch.utils._pytree import tree_flatten

    from accelopt.workload.capture import forward_work

    dtype = dtype if weights_fp32(bundle.model) else "fp32"  # autocast over fp32 weights only, as the capture
    it = iter(user_call(bundle, "in batches()", bundle.batches))
    batches = [b for _, b in zip(range(2), it, strict=False)]
    if len(batches) < 2 or not all(isinstance(b, tuple | list) and len(b) == 2 for b in batches):
        return None  # fewer than two, or not (inputs, targets): the capture's own checks speak of it
    work = [forward_work(bundle, (b[0], b[1]), mode=mode, dtype=dtype, device=device) for b in batches]

    def shapes(b: Any) -> list[tuple[int, ...]]:
        return [tuple(t.shape) for t in tree_flatten(b)[0] if isinstance(t, torch.Tensor)]

    (f1, n1), (f2, n2) = work
    return InputDependence(forward_flops=[f1, f2], aten_calls=[n1, n2],
                           same_shapes=shapes(batches[0]) == shapes(batches[1]),
                           varies=n1 != n2 or not math.isclose(f1, f2, rel_tol=1e-9))


def has_conv2d(model: Any) -> bool:
    """The model has an nn.Conv2d: the only convolutions channels_last changes (diagnose._channels_last_applies,
    optimize/layout.py)."""
    from torch import nn

    return any(isinstance(m, nn.Conv2d) for m in model.modules())


def _result_meta(bundle: Any) -> dict[str, Any]:
    """The bundle's own meta (num_workers, pin_memory, ...), 'conv2d' (has_conv2d), 'params' (the parameter count
    `profile` prints; the zoo's bundles give it) and, where the bundle does not
    say it (a user's or HF model), 'weights_dtype' as the zoo names it: fp32 where --dtype bf16/fp16 runs under
    autocast (weights_fp32), else the first parameter's dtype (fp16, bf16; another as torch names it, e.g. float64)."""
    meta = {**dict(getattr(bundle, "meta", {}) or {}), "conv2d": has_conv2d(bundle.model)}
    if not isinstance(meta.get("params"), int):  # the zoo's bundles say it; a user's or HF model's did not
        meta["params"] = sum(int(p.numel()) for p in bundle.model.parameters())  # a tied weight once
    if "weights_dtype" not in meta:
        first = next(bundle.model.parameters(), None)
        name = "float32" if weights_fp32(bundle.model) or first is None else str(first.dtype).removeprefix("torch.")
        meta["weights_dtype"] = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}.get(name, name)
    return meta


def _cpu_threads(device: str) -> int | None:
    if device != "cpu":
        return None
    import torch

    return int(torch.get_num_threads())


def _check_finite(runner: StepRunner, allow: bool, *, when: str, grads: bool = False) -> str | None:
    problem = runner.nonfinite(grads=grads)
    if problem is None:
        return None
    problem = f"model {runner.bundle.name!r}: {problem} {when}"
    if allow:
        return problem
    eps = fp16_zero_eps(runner.model, runner.optimizer)
    if eps is not None:
        raise MeasurementError(
            f"{problem}: the optimizer's eps = {eps:g} rounds to 0 in the fp16 weights' dtype (its smallest value is "
            "6e-8), so a weight whose squared gradient underflows to 0 takes an update of gradient / 0",
            "give the factory make_optimizer=lambda p: torch.optim.AdamW(p, lr=1e-4, eps=1e-4) (eps at least 6e-8), "
            "or keep fp32 weights and pass --dtype fp16 (autocast); or pass --allow-nonfinite to profile it anyway")
    raise MeasurementError(problem, "check the data, the loss and the learning rate (fp16 overflows: try bf16 or "
                                    "fp32); or pass --allow-nonfinite to profile it anyway, flagged")


def fp16_zero_eps(model: Any, optimizer: Any) -> float | None:
    """The optimizer's `eps` when it rounds to 0 in fp16 and the model has fp16 weights (Adam/AdamW's default 1e-8
    does: fp16's smallest subnormal is 2**-24 = 6e-8, IEEE 754 binary16), else None. torch adds eps to the fp16
    sqrt of the second moment, so a gradient under 2.4e-4 (its square underflows) divides by 0: a pure-fp16 model
    profiled with the default AdamW went NaN after its first step."""
    import torch

    if optimizer is None or not any(p.dtype == torch.float16 for p in model.parameters()):
        return None
    for group in optimizer.param_groups:
        eps = group.get("eps")
        if isinstance(eps, float) and eps > 0 and float(torch.tensor(eps, dtype=torch.float16)) == 0.0:
            return eps
    return None


def check_passes(report: ContentionReport, headline_s: float, phases_sum_s: float, profiled_s: float) -> None:
    """Mark the breakdown / roofline disturbed when their pass disagrees with the headline beyond the
    stated tolerances (BREAKDOWN_RATIO_RANGE, PROFILED_RATIO_MAX)."""
    if headline_s <= 0:
        return
    lo, hi = BREAKDOWN_RATIO_RANGE
    ratio = phases_sum_s / headline_s
    if not lo <= ratio <= hi:
        report.add(f"the phased pass summed to {fmt_ratio(ratio)}x the headline step (tolerance {lo}-{hi}x): "
                   "the breakdown does not describe the headline run", "breakdown")
    ratio = profiled_s / headline_s
    if ratio > PROFILED_RATIO_MAX and profiled_s - headline_s > PROFILED_EXTRA_FLOOR_S:
        report.add(f"the profiled pass ran {fmt_ratio(ratio)}x slower than the headline step (tolerance "
                   f"{PROFILED_RATIO_MAX}x): roofline shares are unreliable and no diagnosis is drawn from them",
                   "roofline", "diagnosis")


def _pick_ceilings(probed_spec: Any, spec: Any, dtype: str, device: str) -> Ceilings:
    for s, label in ((probed_spec, "probed"), (spec, "catalog")):
        if s is not None:
            c = ceilings_from_spec(s, dtype, f"{label} {s.name}")
            if c is not None:
                return c
    return quick_ceilings(device, dtype)

