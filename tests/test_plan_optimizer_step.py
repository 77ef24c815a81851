"""The optimizer step's time follows the optimizer state `plan --optimizer-bytes` names (utplan2, 2026-12-05).

Per parameter a rank updates, the step reads and writes its optimizer state (S bytes: 12 = fp32 master + Adam m, v,
Rajbhandari et al. 2020 'ZeRO' sec. 3.1; 4 = 16-bit moments beside 16-bit weights, MaxText weight_dtype bfloat16),
reads the 16-bit gradient and writes the 16-bit weight: 2 S + 4 bytes, memory-bound at BW x memory_eff. The
parameters a rank updates are the ones whose state it holds, so `plan explain`'s mem_optimizer_bytes / S counts
them. Before the fix the step charged 28 B per parameter whatever S was.

Under ZeRO with ep > 1 the routed experts' state shards over the expert-data-parallel group, tp dp cp / (etp ep)
ranks (memory._state_bytes, training.expert_dp_group; Mixtral 8x7B at tp 2, ep 8, dp 32: 4 ranks, not 32), as
Megatron-Core builds the experts a distributed optimizer of their own over intra_expt_dp_group
(get_megatron_optimizer, NVIDIA/Megatron-LM megatron/core/optimizer/__init__.py at
0044db1f20bf9311d6cfc77e76fa05163e97ce44). Until moeopt (2026-12-05) the step divided them by the dense dp x cp
shard and undercounted their share ep x etp / tp times (the whole term on that layout: 1.19 ms charged, 7.63 ms
with the experts' own shard; utplan2's strict xfail)."""
from __future__ import annotations

import json

import pytest
from conftest import explain_terms, run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations

H100 = get_device("h100-sxm")
CAL = calibration_for(H100, load_calibrations())


def _explain(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, float]:
    code, out, err = run_main(["plan", "explain", "--hardware", "h100-sxm", "--json", *args], capsys)
    assert code in (0, 2), err  # 2: the layout does not fit; its terms are still printed
    return explain_terms(json.loads(out))


@pytest.mark.parametrize("state_bytes", [12.0, 8.0, 4.0])
@pytest.mark.parametrize("layout", [
    ("--model", "llama3-8b", "--devices", "8", "--zero", "1"),
    ("--model", "llama3-8b", "--devices", "16", "--tp", "2", "--zero", "0"),
    # Mixtral 8x7B at ep 1: its routed experts shard over dp like its dense weights
    ("--model", "mixtral-8x7b", "--devices", "64", "--tp", "2", "--zero", "1"),
    ("--model", "mixtral-8x7b", "--devices", "64", "--tp", "2", "--ep", "8", "--zero", "0"),
    # ep > 1 under ZeRO: the experts' state shards over tp dp cp / (etp ep): 2 x 32 / (2 x 8) = 4 (etp 1, ep 4: 16)
    ("--model", "mixtral-8x7b", "--devices", "64", "--tp", "2", "--ep", "8", "--zero", "1"),
    ("--model", "mixtral-8x7b", "--devices", "64", "--tp", "2", "--ep", "4", "--etp", "1", "--zero", "1"),
    # every ZeRO stage shards the optimizer state (Rajbhandari et al. 2020, Fig. 1): the experts' over the same group
    ("--model", "mixtral-8x7b", "--devices", "64", "--tp", "2", "--ep", "8", "--zero", "3"),
])
def test_optimizer_step_reads_and_writes_the_named_state(capsys: pytest.CaptureFixture[str], state_bytes: float,
                                                         layout: tuple[str, ...]) -> None:
    t = _explain(capsys, *layout, "--optimizer-bytes", f"{state_bytes:g}")
    local_params = t["mem_optimizer_bytes"] / state_bytes
    want_s = local_params * (2 * state_bytes + 2 + 2) / (H100.memory_bandwidth_byte_per_s * CAL.memory_eff)
    assert t["t_optimizer_s"] == pytest.approx(want_s + CAL.kernel_overhead_s, rel=1e-9)


def test_explain_text_names_the_optimizer_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    """The text table's formula for the term says what it charges, not 'Adam: 28 bytes'."""
    code, out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8",
                               "--optimizer-bytes", "4"], capsys)
    assert code in (0, 2), err
    row = next(line for line in out.splitlines() if "t_optimizer_s" in line)
    assert "--optimizer-bytes" in row and "28 bytes" not in row
