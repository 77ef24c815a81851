"""`plan serve --lengths FILE`: requests of different lengths, all sent at once, served under continuous batching.

A step-level simulation of the engine's scheduler. Requests are admitted in file order (first come, first served)
while the requests in flight are under the engine's cap (max_batch_size, serving.max_load_concurrency) and their KV
cache fits: each request reserves its prompt + output tokens at admission, as serving.max_batch counts a batch
(TensorRT-LLM's default GUARANTEED_NO_EVICT capacity policy reserves a request's whole length the same way). The
requests admitted at one iteration prefill together before the next decode step (the prefill forwards of serving's
model, chunked at max_prefill_chunk_tokens, not mixed with decode steps, the decode paused meanwhile), then every
request in flight decodes one token per step; a request leaves when its output is complete, and the next iteration
admits what its memory and slot allow. Each step is timed by the fixed-length model's own step functions
(serving._pipelined_prefill for a prefill of the group, serving._decode_step_time for a decode step), so with every
request of the same length the run is the fixed-length model's `--batch max --requests N` (serving.finite_run):
waves of the requests the engine holds, each a prefill then output - 1 decode steps.

A decode step of requests at different contexts: every term of serving._decode_step_time that depends on the
context (the KV-cache reads, the attention FLOPs) is linear in the tokens a layer caches
(serving.cached_tokens_per_layer, capped at a sliding window), so the step of a batch whose requests cache k_i tokens
is the step at the mean of the k_i; the step is evaluated at two contexts per batch size and read at that mean
(exact, as serving._mean_decode_step_s reads its steps). A prefill of prompts of different lengths is timed as
n prompts of the group's mean length, rounded to a whole token (the step functions take whole tokens): its prompt
tokens within n / 2 of the group's (the linear layers, the weights read per chunk, the KV written, the all-reduces),
its attention core n x P(P+1)/2 keys at P = the mean, less than the sum of each prompt's by about n x variance / 2 (a
short-prompt workload's attention is a small share of its prefill).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from accelopt.errors import InfeasibleError
from accelopt.units import unit

if TYPE_CHECKING:
    from accelopt.hardware.spec import AcceleratorSpec
    from accelopt.predict.serving import ServingCalibration, ServingPrediction
    from accelopt.predict.serving_moe import MoELayout
    from accelopt.workload.request_lengths import RequestLengths
    from accelopt.workload.transformer import TransformerConfig


@dataclass(frozen=True, kw_only=True)
class LatencyStats:
    """One latency over the run's requests: mean and percentiles (numpy's linear interpolation, as vLLM's
    benchmark reports its p50 / p90 / p99: `np.percentile`), seconds."""

    mean_s: float = unit("s")
    p50_s: float = unit("s")
    p90_s: float = unit("s")
    p99_s: float = unit("s")

    @classmethod
    def of(cls, values: Any) -> LatencyStats:
        v = np.asarray(values, dtype=float)
        if v.size == 0:  # no request with a second token: no TPOT
            return cls(mean_s=0.0, p50_s=0.0, p90_s=0.0, p99_s=0.0)
        p50, p90, p99 = (float(x) for x in np.percentile(v, [50, 90, 99]))
        return cls(mean_s=float(v.mean()), p50_s=p50, p90_s=p90, p99_s=p99)


@dataclass(frozen=True, kw_only=True)
class LengthsRun:
    """A run of requests of different lengths (--lengths FILE), all sent at once, under continuous batching
    (estimates; the step-level simulation of predict.serving_lengths)."""

    source: str
    """The --lengths file."""
    requests: int = unit("count")
    prompt_tokens_mean: float = unit("count")
    output_tokens_mean: float = unit("count")
    output_tokens: int = unit("count")
    """Output tokens of the whole run."""
    makespan_s: float = unit("s")
    """From the requests' arrival (all at once) to the last one's last token."""
    output_tokens_per_s: float = unit("tok/s")
    """output_tokens / makespan_s, one replica."""
    ttft: LatencyStats
    """Time to first token per request: its wait for a slot and memory, the prefills before and with its own."""
    tpot: LatencyStats
    """(E2E - TTFT) / (output - 1) per request of two or more output tokens (vLLM's benchmark's definition)."""
    e2e: LatencyStats
    """Arrival to last token per request."""
    tpot_requests: int = unit("count")
    """Requests with two or more output tokens (those TPOT is over)."""
    most_in_flight: int = unit("count")
    """The most requests the engine held at once."""
    cap: int = unit("count")
    """The engine's cap on requests in flight (max_batch_size per attention-DP rank, serving.batch_cap_requests);
    the KV cache admits fewer where the requests' prompt + output tokens do not fit beside the others'."""
    prefills: int = unit("count")
    """Prefills of newly admitted groups of requests."""
    decode_steps: int = unit("count")


@dataclass
class _DecodeLine:
    """A decode step of `batch` requests as a line in the mean tokens a layer caches: each roofline term at k
    cached tokens is term_lo + (k - k_lo) x slope."""

    k_lo: float
    mem_lo: float
    mem_slope: float
    comp_lo: float
    comp_slope: float
    floor_s: float
    fixed_s: float
    """Communication + per-forward overhead + the pipeline host round (no context in them)."""

    def step_s(self, k: float) -> float:
        mem = self.mem_lo + (k - self.k_lo) * self.mem_slope
        comp = self.comp_lo + (k - self.k_lo) * self.comp_slope
        return max(mem, comp, self.floor_s) + self.fixed_s


def cached_tokens(model: TransformerConfig, contexts: Any) -> Any:
    """serving.cached_tokens_per_layer of each context (an array)."""
    frac_win = model.windowed_layers / model.layers
    c = np.asarray(contexts, dtype=float)
    return (1 - frac_win) * c + frac_win * model.keys_attended(c, True)


def _decode_line(s: Any, batch: int, c_lo: int, c_hi: int) -> _DecodeLine:
    from accelopt.predict import serving as sv

    lo, hi = sv._decode_step_time(s, batch, c_lo), sv._decode_step_time(s, batch, c_hi)
    k_lo, k_hi = sv.cached_tokens_per_layer(s.model, c_lo), sv.cached_tokens_per_layer(s.model, c_hi)
    span = k_hi - k_lo
    mem_slope = (hi.memory_s - lo.memory_s) / span if span > 0 else 0.0
    comp_slope = (hi.compute_s - lo.compute_s) / span if span > 0 else 0.0
    host_s = s.cal.pp_host_round_s(s.pp, batch)
    return _DecodeLine(k_lo=k_lo, mem_lo=lo.memory_s, mem_slope=mem_slope, comp_lo=lo.compute_s,
                       comp_slope=comp_slope, floor_s=lo.launch_floor_s,
                       fixed_s=lo.comm_s + lo.overhead_s + host_s)


def kv_bytes_per_request(model: TransformerConfig, lengths: RequestLengths, kw: dict[str, Any]) -> Any:
    """Each request's KV-cache bytes per device at its prompt + output tokens (serving._memory_per_device's KV term
    of a batch of one), an array in file order."""
    from accelopt.predict import serving as sv

    memo: dict[tuple[int, int], float] = {}
    out = np.empty(lengths.requests)
    for i, (p, o) in enumerate(zip(lengths.prompts, lengths.outputs, strict=True)):
        if (p, o) not in memo:
            memo[(p, o)] = sv._memory_per_device(model, kw["tp"], kw["pp"], 1, p, o, kw["weight_dtype"],
                                                 kw["kv_dtype"], kw["calibration"], kw["moe"])[1]
        out[i] = memo[(p, o)]
    return out


def simulate_lengths(model: TransformerConfig, spec: AcceleratorSpec, lengths: RequestLengths, *,
                     steady: ServingPrediction, cap: int, tp: int, pp: int, weight_dtype: str, kv_dtype: str,
                     calibration: ServingCalibration, moe: MoELayout) -> ServingPrediction:
    """The run of `lengths` (module docstring) on one replica holding at most `cap` requests; `steady` is the
    `--batch max --requests N` prediction at the mean lengths (serving.finite_run; its batch and memory figures
    are kept). Returns `steady` with the run's
    figures: TTFT, TPOT and E2E the requests' means, the throughputs the run's, `lengths_run` the distributions;
    $ and J per output token at the steady prediction's cost and power per second over the run's makespan."""
    from accelopt.predict import serving as sv
    from accelopt.predict import serving_moe

    model = serving_moe.routed_model(model, moe)
    cal = sv.calibration_for_spec(spec, calibration)
    s = sv._setup(model, spec, tp, pp, weight_dtype, kv_dtype, cal, moe)
    kw: dict[str, Any] = {"tp": tp, "pp": pp, "weight_dtype": weight_dtype, "kv_dtype": kv_dtype,
                          "calibration": cal, "moe": moe}
    prompts = np.asarray(lengths.prompts, dtype=np.int64)
    outputs = np.asarray(lengths.outputs, dtype=np.int64)
    n = lengths.requests
    kv = kv_bytes_per_request(model, lengths, kw)
    ws_prompt = math.ceil(lengths.mean_prompt)  # the workspace's prefill chunk (serving._workspace_bytes_per_device)
    budgets: dict[int, float] = {}

    def kv_budget(batch: int) -> float:
        """What the KV caches of `batch` requests in flight may fill per device: usable memory less the weights and
        the workspace at that batch (serving.max_batch's test, per request instead of batch x one length)."""
        if batch not in budgets:
            w, _, ws = sv._memory_per_device(model, tp, pp, batch, ws_prompt, 1, weight_dtype, kv_dtype, cal, moe)
            budgets[batch] = sv.usable_bytes(spec, w, ws, cal) - w - ws
        return budgets[batch]

    too_long = np.nonzero(kv > kv_budget(1))[0]
    if too_long.size:
        i = int(too_long[0])
        raise InfeasibleError(f"--lengths {lengths.source}: request {i + 1} ({lengths.prompts[i]:,} + "
                              f"{lengths.outputs[i]:,} tokens) needs {kv[i] / 2**30:.2f} GiB of KV cache per device, "
                              f"more than the {max(kv_budget(1), 0.0) / 2**30:.2f} GiB left beside the weights and "
                              f"workspace on {spec.name}",
                              "shorten or drop that request, or use a smaller --kv-dtype, more --tp, or a device "
                              "with more memory")
    c_hi = int((prompts + outputs).max())
    lines: dict[int, _DecodeLine] = {}
    ttft = np.zeros(n)
    e2e = np.zeros(n)
    t = 0.0
    nxt = 0
    run_idx: Any = np.zeros(0, dtype=np.int64)  # requests in flight (prefilled, decoding)
    gen: Any = np.zeros(n, dtype=np.int64)  # tokens each has generated
    kv_used = 0.0
    most = prefills = steps = 0
    decode_s = 0.0  # time in decode steps, and the tokens they made
    decode_tokens = 0
    while nxt < n or run_idx.size:
        first = nxt  # admit in file order while a slot and the KV cache allow (first come, first served)
        while (nxt < n and run_idx.size + (nxt - first) < cap
               and kv_used + kv[nxt] <= kv_budget(run_idx.size + nxt - first + 1)):
            kv_used += kv[nxt]
            nxt += 1
        if nxt > first:  # the new requests' prefill, together, before the next decode step
            group = np.arange(first, nxt)
            g = group.size
            mean_prompt = max(1, round(float(prompts[group].sum()) / g))  # whole tokens, as the step functions take
            prefill = sv._pipelined_prefill(s, g, mean_prompt, "waves")
            t += cal.per_request_overhead_s + prefill.total_s + cal.pp_host_round_s(pp, g)
            prefills += 1
            ttft[group] = t
            gen[group] = 1
            done = group[outputs[group] == 1]  # one output token: done at its prefill
            e2e[done] = t
            kv_used -= float(kv[done].sum())
            run_idx = np.concatenate([run_idx, group[outputs[group] > 1]])
            most = max(most, run_idx.size + done.size)
        if not run_idx.size:
            continue
        b = int(run_idx.size)
        if b not in lines:
            lines[b] = _decode_line(s, b, 1, c_hi)
        k = float(cached_tokens(model, prompts[run_idx] + gen[run_idx]).mean())  # context of this step's tokens
        step_s = lines[b].step_s(k)
        t += step_s
        decode_s += step_s
        decode_tokens += b
        steps += 1
        gen[run_idx] += 1
        finished = gen[run_idx] >= outputs[run_idx]
        if finished.any():
            out = run_idx[finished]
            e2e[out] = t
            kv_used -= float(kv[out].sum())
            run_idx = run_idx[~finished]
    multi = outputs > 1
    tpot = (e2e[multi] - ttft[multi]) / (outputs[multi] - 1)
    total_out = int(outputs.sum())
    tok_s = total_out / t
    run = LengthsRun(source=lengths.source, requests=n, prompt_tokens_mean=lengths.mean_prompt,
                     output_tokens_mean=lengths.mean_output, output_tokens=total_out, makespan_s=t,
                     output_tokens_per_s=tok_s, ttft=LatencyStats.of(ttft), tpot=LatencyStats.of(tpot),
                     e2e=LatencyStats.of(e2e), tpot_requests=int(multi.sum()), most_in_flight=most, cap=cap,
                     prefills=prefills, decode_steps=steps)
    # $ and J per token: the fixed-length run's per second (its cost and power over its own tokens/s) over the run's
    ratio = steady.output_tokens_per_s / tok_s
    usd = None if steady.usd_per_million_output_tokens is None else steady.usd_per_million_output_tokens * ratio
    joules = None if steady.energy_j_per_output_token is None else steady.energy_j_per_output_token * ratio
    return replace(steady, ttft_s=run.ttft.mean_s, tpot_s=run.tpot.mean_s if run.tpot_requests else steady.tpot_s,
                   e2e_latency_s=run.e2e.mean_s, output_tokens_per_s=tok_s,
                   decode_tokens_per_s=decode_tokens / decode_s if decode_s > 0 else steady.decode_tokens_per_s,
                   output_tokens_per_s_per_device=tok_s / steady.n_devices, requests=n, last_wave_batch=None,
                   usd_per_million_output_tokens=usd, energy_j_per_output_token=joules, lengths_run=run)
