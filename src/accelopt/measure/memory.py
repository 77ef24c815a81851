"""Peak memory of one step, split into parameters, gradients, optimizer state and activations.

How each number is obtained (reported with it, in `MemoryBreakdown.methods`):
- parameters, buffers, gradients, optimizer state: the sum of `Tensor.nbytes` over the tensors, counted once
  per storage (tied weights are not double counted; a buffer sharing a parameter's storage is not counted again).
  Buffers are the module's registered buffers (`model.buffers()`: BatchNorm running statistics, rotary caches,
  attention masks), held on the device beside the parameters;
- activations: the bytes autograd saves for backward, counted directly with
  `torch.autograd.graph.saved_tensors_hooks` during the forward pass (once per storage). In
  inference mode nothing is saved for backward: activations are then the peak of live tensor bytes
  the forward pass creates (`LiveTensorMeter`, a TorchDispatchMode that counts each op's output
  storages and frees them when the last tensor using them dies). Checked against the CPU allocator's
  own allocation/free events (torch.profiler profile_memory) in tests/test_profile_memory.py;
- peak: on CUDA, `torch.cuda.max_memory_allocated` after `torch.cuda.reset_peak_memory_stats`
  (the caching allocator's statistics); on CPU, the process resident set high-water mark
  (`VmHWM` in /proc/self/status, reset before the step by writing 5 to /proc/self/clear_refs,
  Linux >= 4.0) or, where that is not possible, `resource.getrusage(RUSAGE_SELF).ru_maxrss`
  (the process-lifetime high-water mark, so the step's own growth may be hidden).
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelopt.measure.cgroups import CGROUP_ROOT, SELF_CGROUP, cgroup_dirs, own_cgroups
from accelopt.units import unit
from accelopt.workload.storage import state_tensors, storage_key, tensor_bytes

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass(kw_only=True)
class MemoryBreakdown:
    """Bytes (SI) of one step's memory; `methods` says how each figure was obtained."""

    peak_bytes: float | None = unit("B")
    """Peak during the step: allocator peak on CUDA, process RSS high-water on CPU."""
    baseline_bytes: float | None = unit("B")
    """Allocated (CUDA) or resident (CPU) bytes just before the step."""
    parameters_bytes: float = unit("B")
    gradients_bytes: float = unit("B")
    optimizer_state_bytes: float = unit("B")
    activations_bytes: float | None = unit("B")
    peak_kind: str
    """'cuda-allocator', 'process-rss-hwm-reset' or 'process-rss-lifetime-hwm'."""
    methods: dict[str, str] = field(default_factory=dict)
    buffers_bytes: float = unit("B", default=0.0)
    """The model's registered buffers (BatchNorm running statistics, rotary caches, masks) on the device, counted once
    per storage and not again where one shares a parameter's; 0 in a record written before they were reported
    (profile schema 6, ut3misc 2026-12-06)."""

    def to_dict(self) -> dict[str, Any]:
        return {"peak_bytes": self.peak_bytes, "baseline_bytes": self.baseline_bytes,
                "parameters_bytes": self.parameters_bytes, "buffers_bytes": self.buffers_bytes,
                "gradients_bytes": self.gradients_bytes,
                "optimizer_state_bytes": self.optimizer_state_bytes, "activations_bytes": self.activations_bytes,
                "peak_kind": self.peak_kind, "methods": dict(self.methods)}


def parameter_bytes(model: Any) -> float:
    return tensor_bytes(model.parameters())


def buffer_bytes(model: Any) -> float:
    """Bytes of the model's registered buffers, each storage once and none a parameter already holds."""
    params = list(model.parameters())
    return tensor_bytes([*params, *model.buffers()]) - tensor_bytes(params)


def gradient_bytes(model: Any) -> float:
    return tensor_bytes(p.grad for p in model.parameters())


def optimizer_state_bytes(optimizer: Any | None) -> float:
    """Bytes of optimizer state tensors (AdamW: exp_avg and exp_avg_sq, 2x the parameters in fp32)."""
    if optimizer is None:
        return 0.0
    return tensor_bytes(state_tensors(optimizer))


class SavedTensorMeter:
    """Counts the bytes autograd saves for backward (the activations a training step keeps).

    Parameters saved by an op (e.g. a weight kept for the input gradient) are not activations:
    storages listed in `exclude` are skipped.
    """

    def __init__(self, exclude: Iterable[Any] = ()) -> None:
        self._exclude = {storage_key(t) for t in exclude}
        self._seen: set[tuple[int, int]] = set()
        self.saved_bytes = 0.0
        self._segment_peak = 0.0
        self._segment_start = 0.0
        self.recomputed_forwards = 0
        """Module forwards that ran inside backward (watch_backward): activation checkpointing's recomputation."""

    def _pack(self, t: Any) -> Any:
        key = storage_key(t)
        if key not in self._exclude and key not in self._seen and key[0] != 0:
            self._seen.add(key)
            self.saved_bytes += key[1]
        return t

    @contextmanager
    def track(self) -> Iterator[SavedTensorMeter]:
        with counting_saved_tensors(self._pack):
            yield self

    def end_segment(self) -> None:
        """A backward has run and freed what the forward before it saved (a micro-batch of gradient accumulation):
        the bytes saved from here on are alive without those, and a storage saved again is counted again."""
        self._segment_peak = self.peak_saved_bytes
        self._segment_start = self.saved_bytes
        self._seen.clear()

    @property
    def peak_saved_bytes(self) -> float:
        """The most bytes saved for one backward (saved_bytes where no end_segment was called): a step of k
        micro-batches, each forward followed by its backward, holds one micro-batch's activations at a time,
        where saved_bytes sums all k."""
        return max(self._segment_peak, self.saved_bytes - self._segment_start)

    @contextmanager
    def watch_backward(self) -> Iterator[None]:
        """Count the module forwards that run during backward (recomputed_forwards): a model under
        torch.utils.checkpoint saves only its blocks' inputs in the forward and reruns the blocks in backward, so
        saved_bytes is then its checkpoints, not what backward holds at once. The hook is global (not per thread):
        CUDA's backward runs on the autograd engine's own threads."""
        from torch.nn.modules.module import register_module_forward_pre_hook

        def count(module: Any, args: Any) -> None:
            self.recomputed_forwards += 1

        handle = register_module_forward_pre_hook(count)
        try:
            yield
        finally:
            handle.remove()


def _unpack(t: Any) -> Any:
    return t


@contextmanager
def counting_saved_tensors(pack: Callable[[Any], Any]) -> Iterator[None]:
    """`torch.autograd.graph.saved_tensors_hooks(pack, identity)` with both hooks kept out of TorchDynamo.

    Under a `torch.compile`d model, an op that runs eagerly (after a graph break, or an nn.LSTM Dynamo does
    not trace) calls the pack hook as a Python frame while Dynamo's frame callback is active: Dynamo then
    compiled the hook itself, once per saved tensor's shape and stride, and printed "hit config.recompile_limit
    (8) function '_pack'". `torch.compiler.disable` runs the hooks eagerly, as Dynamo does past that limit;
    the compiled model's own graphs are unchanged (AOTAutograd inlines saved-tensor hooks only when they
    are fx.GraphModules: torch/_functorch/_aot_autograd/utils.py, saved_tensors_hooks_are_inlineable).
    """
    import torch

    with torch.autograd.graph.saved_tensors_hooks(torch.compiler.disable(pack), torch.compiler.disable(_unpack)):
        yield


class LiveTensorMeter:
    """Peak bytes of tensors created inside `track()` and alive at once (inference activations).

    Every op output passes through a TorchDispatchMode; its storage is counted once when first seen
    and released when the last tracked tensor on it is garbage-collected (weakref.finalize). Storages
    in `exclude` (weights, buffers, inputs) are never counted. Memory an op allocates and frees inside
    itself (a kernel's workspace) is not seen: it is the allocator's, not a tensor's.
    """

    def __init__(self, exclude: Iterable[Any] = ()) -> None:
        self._exclude = {storage_key(t)[0] for t in exclude}
        self._refs: dict[int, int] = {}
        self._size: dict[int, int] = {}
        self.current_bytes = 0
        self.peak_bytes = 0

    def _release(self, key: int) -> None:
        self._refs[key] -= 1
        if self._refs[key] == 0:
            del self._refs[key]
            self.current_bytes -= self._size.pop(key)

    def _see(self, t: Any) -> None:
        import weakref

        key, nbytes = storage_key(t)
        if key == 0 or key in self._exclude:
            return
        if key not in self._refs:
            self._refs[key] = 0
            self._size[key] = nbytes
            self.current_bytes += nbytes
            self.peak_bytes = max(self.peak_bytes, self.current_bytes)
        self._refs[key] += 1
        weakref.finalize(t, self._release, key)

    @contextmanager
    def track(self) -> Iterator[LiveTensorMeter]:
        import torch
        from torch.utils._python_dispatch import TorchDispatchMode
        from torch.utils._pytree import tree_flatten

        meter = self

        class _Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
                out = func(*args, **(kwargs or {}))
                for t in tree_flatten(out)[0]:
                    if isinstance(t, torch.Tensor):
                        meter._see(t)
                return out

        with _Mode():
            yield self


# ---- CPU process memory ---------------------------------------------------------------------------

def _status_kib(field_name: str) -> float | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field_name + ":"):
                return float(line.split()[1])  # "VmHWM:   223452 kB" (kB here means KiB)
    except OSError:
        return None
    return None


def rss_bytes() -> float | None:
    kib = _status_kib("VmRSS")
    return kib * 1024 if kib is not None else None


def reset_rss_hwm() -> bool:
    """Reset the process RSS high-water mark (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


def rss_hwm_bytes() -> float | None:
    kib = _status_kib("VmHWM")
    return kib * 1024 if kib is not None else None


def lifetime_hwm_bytes() -> float:
    """getrusage's ru_maxrss: the process-lifetime RSS high-water mark (cannot be reset)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(rss) * (1 if sys.platform == "darwin" else 1024)  # bytes on macOS, KiB on Linux


# ---- the measurement ------------------------------------------------------------------------------

def measure_peak(step: Callable[[], Any], device: str) -> tuple[float | None, float | None, str, str]:
    """Run `step()` once and return (peak_bytes, baseline_bytes, peak_kind, method text)."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        cuda_base = float(torch.cuda.memory_allocated(device))
        step()
        torch.cuda.synchronize(device)
        peak = float(torch.cuda.max_memory_allocated(device))
        return peak, cuda_base, "cuda-allocator", (
            "torch.cuda.max_memory_allocated after reset_peak_memory_stats (caching-allocator statistics)")
    baseline = rss_bytes()
    if reset_rss_hwm():
        step()
        return rss_hwm_bytes(), baseline, "process-rss-hwm-reset", (
            "process RSS high-water (VmHWM, /proc/self/status) reset via /proc/self/clear_refs before the step; "
            "includes the Python/torch runtime")
    step()
    return lifetime_hwm_bytes(), baseline, "process-rss-lifetime-hwm", (
        "resource.getrusage ru_maxrss: process-lifetime RSS high-water (not reset; may predate the step)")


def measure_memory(*, model: Any, optimizer: Any | None, step: Callable[[], Any], device: str,
                   train: bool, saved: SavedTensorMeter | None, live: LiveTensorMeter | None = None) -> MemoryBreakdown:
    """Peak over one `step()` and the split; `step` fills `saved` (if given) during its forward pass."""
    peak, baseline, kind, peak_method = measure_peak(step, device)
    params = parameter_bytes(model)
    buffers = buffer_bytes(model)
    grads = gradient_bytes(model) if train else 0.0
    opt = optimizer_state_bytes(optimizer) if train else 0.0
    methods = {"peak": peak_method, "parameters": "sum of Tensor.nbytes, once per storage",
               "buffers": "sum of model.buffers() Tensor.nbytes, once per storage (BatchNorm statistics, masks, "
               "rotary caches)",
               "gradients": "sum of .grad nbytes after the step", "optimizer_state":
               "sum of optimizer.state tensor nbytes"}
    if train and saved is not None:
        activations: float | None = saved.saved_bytes
        methods["activations"] = ("bytes saved for backward, counted directly with "
                                  "torch.autograd.graph.saved_tensors_hooks (once per storage, weights excluded)"
                                  + recompute_text(saved.recomputed_forwards))
    elif not train and live is not None:
        activations = float(live.peak_bytes)
        methods["activations"] = ("peak of live tensor bytes created by the forward pass (TorchDispatchMode over "
                                  "every op's outputs, freed when their last tensor dies; weights and inputs "
                                  "excluded)")
    elif peak is not None and kind == "cuda-allocator":
        activations = max(0.0, peak - params - buffers - grads - opt)
        methods["activations"] = "peak allocated minus parameters, buffers, gradients and optimizer state"
    elif peak is not None and baseline is not None and kind == "process-rss-hwm-reset":
        activations = max(0.0, peak - baseline)
        methods["activations"] = "RSS high-water minus RSS before the step (transient tensors of the step)"
    else:
        activations = None
        methods["activations"] = "not measurable here (no resettable peak)"
    return MemoryBreakdown(peak_bytes=peak, baseline_bytes=baseline, parameters_bytes=params, buffers_bytes=buffers,
                           gradients_bytes=grads, optimizer_state_bytes=opt, activations_bytes=activations,
                           peak_kind=kind, methods=methods)


def recompute_text(forwards: int) -> str:
    """What the saved bytes are not, where module forwards ran in backward (SavedTensorMeter.watch_backward)."""
    if not forwards:
        return ""
    return (f"; not the activations' peak: {forwards} module forward{'s' if forwards > 1 else ''} ran again in "
            "backward (activation checkpointing, e.g. torch.utils.checkpoint), so these are the checkpoints the "
            "forward kept, and each recomputed block's tensors, alive during backward on top of them, are not "
            "counted (the peak row includes them)")


def device_memory_bytes(device: str) -> float | None:
    """Total memory of `device` ('cpu' = host RAM, 'cuda:N' from the driver), bytes; None when unknown."""
    if device.startswith("cuda"):
        import torch

        index = int(device.partition(":")[2] or 0)
        return float(torch.cuda.get_device_properties(index).total_memory)
    from accelopt.hardware.detect import host_memory_bytes

    return host_memory_bytes()


def out_of_memory_as_error(what: str, device: str, fix: str) -> AbstractContextManager[None]:
    """Turn an allocator's out-of-memory failure inside the block into an InfeasibleError that names `what`
    (e.g. '--batch-size 100000000') and the device's memory, instead of a traceback; `fix` names the caller's
    own options, those that apply to the model given (cli.profile.oom_fix: --size for zoo names only)."""
    from accelopt.errors import out_of_memory_as_infeasible

    def problem(said: str) -> str:
        from accelopt.units import fmt_bytes

        total = device_memory_bytes(device)
        have = f"{fmt_bytes(total, binary=True)} in all" if total else "its size unknown"
        return f"{what} does not fit in the memory of {device} ({have}): the allocator said {said!r}"

    return out_of_memory_as_infeasible(problem, fix)


# ---- will a training step fit in host memory? ------------------------------------------------------

_MEMINFO = Path("/proc/meminfo")
_CGROUP_ROOT = CGROUP_ROOT
_SELF_CGROUP = SELF_CGROUP
# cgroup v1 writes "no limit" as PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages; the figure moves with
# the page size), so any limit from 2**62 bytes (4 EiB, more than any machine holds) up means none.
_V1_NO_LIMIT_BYTES = 2.0**62


def _meminfo_bytes(field_name: str, meminfo: Path) -> float | None:
    """The /proc/meminfo line `field_name` in bytes; None where it is absent or unreadable."""
    try:
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith(field_name + ":"):
                return float(line.split()[1]) * 1024  # "MemAvailable:  19954288 kB" (kB here means KiB)
    except (OSError, ValueError, IndexError):
        return None
    return None


def host_available_bytes(meminfo: Path = _MEMINFO) -> float | None:
    """MemAvailable (proc(5): an estimate of the memory available for new work without swapping), bytes; None
    where /proc/meminfo has no such line (not Linux, or a kernel before 3.14)."""
    return _meminfo_bytes("MemAvailable", meminfo)


def _read_number(path: Path) -> float | None:
    """The one number in a cgroup file; None where it is absent, unreadable or 'max' (cgroup v2: no limit)."""
    try:
        return float(path.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _inactive_file_bytes(stat: Path, key: str) -> float:
    """Page cache the kernel reclaims before it kills (memory.stat `key`); 0 where unread."""
    try:
        for line in stat.read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return float(value)
    except (OSError, ValueError):
        return 0.0
    return 0.0


def cgroup_headroom_bytes(root: Path = _CGROUP_ROOT, self_cgroup: Path = _SELF_CGROUP) -> tuple[float, str] | None:
    """(bytes this process's memory cgroup can still grow before its OOM killer acts, the limit file read), the
    smallest over the group and its ancestors; None without a limit (or without cgroups). Headroom = limit -
    (usage - inactive file cache), usage less the cache the kernel reclaims first: the kubelet's "working set"
    (Kubernetes docs, node-pressure eviction). v2: memory.max ('max' = none) and memory.current, cgroup-v2.rst;
    v1: memory/memory.limit_in_bytes and memory.usage_in_bytes, cgroup-v1/memory.rst."""
    v2_own, v1_own = own_cgroups(self_cgroup, "memory")
    layouts = [(root, v2_own, "memory.max", "memory.current", "inactive_file"),
               (root / "memory", v1_own, "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")]
    best: tuple[float, str] | None = None
    for base, own, limit_name, usage_name, inactive_key in layouts:
        for d in cgroup_dirs(base, own):
            limit, usage = _read_number(d / limit_name), _read_number(d / usage_name)
            if limit is None or usage is None or limit >= _V1_NO_LIMIT_BYTES:
                continue
            working_set = max(0.0, usage - _inactive_file_bytes(d / "memory.stat", inactive_key))
            headroom = max(0.0, limit - working_set)
            if best is None or headroom < best[0]:
                best = (headroom, str(d / limit_name))
    return best


@dataclass(frozen=True, kw_only=True)
class HostHeadroom:
    """What a CPU step can still allocate before the kernel steps in, and where that figure was read."""

    available_bytes: float = unit("B")
    source: str
    """'MemAvailable, /proc/meminfo' or the cgroup limit file whose headroom is the smaller."""
    swap_on: bool
    """Swap has free space (SwapFree > 0): past the figure the step swaps (slowly) before it is killed."""


def host_headroom(meminfo: Path = _MEMINFO, cgroup_root: Path = _CGROUP_ROOT,
                  self_cgroup: Path = _SELF_CGROUP) -> HostHeadroom | None:
    """The smaller of MemAvailable and this process's cgroup headroom: in a container (Docker, Kubernetes, a
    systemd slice) MemAvailable is the host's figure, and the cgroup's OOM killer acts at the group's limit."""
    avail = host_available_bytes(meminfo)
    cgroup = cgroup_headroom_bytes(cgroup_root, self_cgroup)
    swap_on = (_meminfo_bytes("SwapFree", meminfo) or 0.0) > 0
    if cgroup is not None and (avail is None or cgroup[0] < avail):
        return HostHeadroom(available_bytes=cgroup[0], source=f"cgroup limit - usage, {cgroup[1]}", swap_on=swap_on)
    if avail is None:
        return None
    return HostHeadroom(available_bytes=avail, source="MemAvailable, /proc/meminfo", swap_on=swap_on)


def cuda_free_bytes(count: int) -> list[int]:
    """Free memory of CUDA devices 0 .. count-1 (torch.cuda.mem_get_info: cudaMemGetInfo, what the driver can still
    hand out, other processes' allocations taken); [] without CUDA or with fewer than `count` devices."""
    import torch

    if not torch.cuda.is_available() or torch.cuda.device_count() < count:
        return []
    return [int(torch.cuda.mem_get_info(i)[0]) for i in range(count)]


@contextmanager
def host_memory_capped(device: str, ranks_here: int = 1) -> Iterator[None]:
    """On a CPU run under Linux, cap this process's address space (RLIMIT_AS) at its size now plus its share of
    the memory the host (or its cgroup) has available (1/ranks_here: `profile --nproc` ranks on one machine share
    it), for the block: a batch whose activations outgrow the machine then fails at the allocation ('can't
    allocate memory', named with the options that sized it) instead of being killed by the kernel's OOM killer
    without a word (exit 137, `profile bert --batch-size 1000000`), possibly with other programs. Not on GPUs
    (CUDA reserves address space far beyond memory), not where the limit is already tighter; restored after."""
    have = host_headroom() if device == "cpu" and sys.platform.startswith("linux") else None
    size_kib = _status_kib("VmSize")  # this process's virtual size
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = (int(size_kib * 1024 + have.available_bytes / max(1, ranks_here))
           if have is not None and size_kib is not None else None)
    if cap is None or (soft != resource.RLIM_INFINITY and soft <= cap):
        yield
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _optimizer_states_per_param(optimizer: Any) -> tuple[int, str]:
    """(tensors of a parameter's size the optimizer will keep per parameter, its name): the torch.optim
    algorithms' documented state (Adam-like: exp_avg and exp_avg_sq; SGD: a momentum buffer when momentum > 0;
    RMSprop: square_avg, + momentum_buffer, + grad_avg when centered); 0 for another optimizer (not known, so
    not counted: the bound stays a lower bound)."""
    import torch

    name = type(optimizer).__name__
    defaults = getattr(optimizer, "defaults", {})
    if isinstance(optimizer, torch.optim.Adam | torch.optim.AdamW | torch.optim.Adamax | torch.optim.NAdam
                  | torch.optim.RAdam):
        return 2, name
    if isinstance(optimizer, torch.optim.SGD):
        return (1 if defaults.get("momentum", 0) else 0), name
    if isinstance(optimizer, torch.optim.RMSprop):
        return 1 + bool(defaults.get("momentum", 0)) + bool(defaults.get("centered", False)), name
    return 0, name


def check_training_fits_host(model: Any, optimizer: Any, what: str, fix: str,
                             headroom: HostHeadroom | None = None) -> None:
    """Before a CPU training step: an InfeasibleError when the memory it must add to the model already built
    (a gradient per trainable parameter, and the optimizer's state, both the parameter's size) exceeds what the
    host (or the process's cgroup) has available (`host_headroom()` by default). Past that point the step is not
    refused by the allocator but killed by the kernel's OOM killer (no message, and other programs may be killed
    with it), after swapping when swap is on. Activations come on top: a lower bound."""
    from accelopt.errors import InfeasibleError
    from accelopt.units import fmt_bytes

    have = host_headroom() if headroom is None else headroom
    if have is None:
        return
    trainable = tensor_bytes(p for p in model.parameters() if p.requires_grad)
    states, opt_name = _optimizer_states_per_param(optimizer)
    need = trainable * (1 + states)
    if need <= have.available_bytes:
        return
    fate = ("the step would swap (slowly) or be killed by the kernel's OOM killer" if have.swap_on
            else "the kernel's OOM killer would kill the run")
    raise InfeasibleError(
        f"training {what} needs at least {fmt_bytes(need, binary=True)} more memory than the built model "
        f"(gradients {fmt_bytes(trainable, binary=True)} + {opt_name} state "
        f"{fmt_bytes(trainable * states, binary=True)}, activations on top), and this machine has "
        f"{fmt_bytes(have.available_bytes, binary=True)} available ({have.source}): {fate}",
        fix)
