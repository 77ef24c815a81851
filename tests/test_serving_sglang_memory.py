"""`plan serve --engine sglang` sizes memory by SGLang's own default --mem-fraction-static rule, a function of the
device's memory and the layout (sgl-project/sglang python/sglang/srt/server_args.py at commit 001067fffe33,
ServerArgs._handle_gpu_memory_settings: the heuristic of sglang PR #10975), not by one run's launch setting.

Before (issue 10, found by unseen 2026-12-02): the rule was 0.578 x total memory on every device, the MI355X rows'
own --mem-fraction-static 0.68 (x 0.85 with aiter past 8192 tokens of context), so a published 8 x H200 TP8
DeepSeek-R1 run (SemiAnalysisAI/InferenceX issue #870, 2026-03-05: SGLang v0.5.7, TP8, ISL/OSL 1024/1024,
concurrency 8/16/32/64, mean TPOT 12.8/17.2/25.6/34.6 ms) came out 'over memory' at 32 and 64 (83.0 / 87.3 of
81.2 GiB) and `plan serve --batch 32` exited 2 for a layout that ran. The MI355X rows keep their 0.578 as their own
memory_fraction cells (launch commands in the runs file), so they do not move. Every test here fails before."""

from __future__ import annotations

import json

import pytest
from conftest import run_main_expect as _cli

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.serving_validation import read_serving_runs, row_calibration, validate_serving

MIB = 2**20
H200_MIB = 143_771  # nvidia-smi memory.total of an H200 (the catalog's capacity; SGLang reads the same, in MiB)

# the InferenceX #870 layout, as unseen typed it (deepseek-v3 preset = DeepSeek-R1's architecture, fp8 weights)
IX870 = [
    "plan",
    "serve",
    "--model",
    "deepseek-v3",
    "--hardware",
    "h200",
    "--tp",
    "8",
    "--weight-dtype",
    "fp8",
    "--kv-dtype",
    "bf16",
    "--prompt",
    "1024",
    "--output",
    "1024",
    "--engine",
    "sglang",
]


def _reserved_mib(*, chunk: int, max_bs: int, tp: int, prefill_graph_mib: float, gpu_mib: float) -> float:
    """The rule written out by hand from the cited code: 512 MiB of metadata + 1.5 MiB per chunked-prefill token
    + 1 GiB per 8 ranks (tp x pp) + 2 MiB per decode CUDA-graph batch slot + the prefill graph (1.5 GiB for an MLA
    model, 8 MiB per captured size otherwise), at least 10 GiB on a device above 60 GiB."""
    r = 512 + 1.5 * chunk + 1024 * tp / 8 + 2 * max_bs + prefill_graph_mib
    return max(r, 10 * 1024) if gpu_mib > 60 * 1024 else r


@pytest.mark.parametrize(
    ("device", "gpu_mib", "tp", "mla", "chunk", "max_bs", "prefill"),
    [
        # H200 (< 160 GiB bucket: chunk 8k, max_bs 512 at tp >= 4), DeepSeek (MLA): 16,384 MiB = 16 GiB reserved
        ("h200", H200_MIB, 8, True, 8192, 512, 1536),
        # H100 80 GB (< 90 GiB bucket: max_bs 256 below tp 4), a dense model: 58 prefill sizes up to 8192 x 8 MiB
        ("h100-sxm", 81_559, 1, False, 8192, 256, 58 * 8),
        # L40S 46,068 MiB (< 60 GiB: chunk 4k, max_bs 32, no 10 GiB floor): 50 prefill sizes up to 4096
        ("l40s", 46_068, 1, False, 4096, 32, 50 * 8),
        # MI355X 288 GiB (the B200 / MI300 bucket: chunk 16k, max_bs 512): 74 prefill sizes up to 16384
        ("mi355x", 294_912, 1, False, 16384, 512, 74 * 8),
    ],
)
def test_the_default_is_sglangs_rule(
    device: str, gpu_mib: int, tp: int, mla: bool, chunk: int, max_bs: int, prefill: float
) -> None:
    spec = get_device(device)
    assert spec.memory_bytes == gpu_mib * MIB
    d = serving.sglang_memory_default(spec.memory_bytes, tp=tp, mla=mla)
    reserved = _reserved_mib(chunk=chunk, max_bs=max_bs, tp=tp, prefill_graph_mib=prefill, gpu_mib=gpu_mib)
    assert (d.chunked_prefill_tokens, d.cuda_graph_max_bs) == (chunk, max_bs)
    assert d.reserved_bytes == pytest.approx(reserved * MIB)
    assert d.fraction == round((gpu_mib - reserved) / gpu_mib, 3)
    # no longer one run's launch setting on every device
    assert d.fraction != pytest.approx(0.578)


def test_h200_tp8_deepseek_reserves_16_gib() -> None:
    d = serving.sglang_memory_default(get_device("h200").memory_bytes, tp=8, mla=True)
    assert d.reserved_bytes == 16 * 2**30 and d.fraction == 0.886  # (143,771 - 16,384) / 143,771


def test_dp_attention_counts_every_rank() -> None:
    """SGLang's --tp-size is every device of the replica with --enable-dp-attention (tp x dp here), and DP attention
    reserves 3 x max_bs x dp more (+1.5 x past max_bs 300)."""
    cap = get_device("h200").memory_bytes
    plain = serving.sglang_memory_default(cap, tp=8, mla=True)
    dp = serving.sglang_memory_default(cap, tp=1, attention_dp=8, mla=True)
    assert dp.sglang_tp == 8
    assert (dp.reserved_bytes - plain.reserved_bytes) / MIB == pytest.approx(512 * 8 * 4.5)


def test_published_h200_tp8_layout_fits(capsys: pytest.CaptureFixture[str]) -> None:
    """InferenceX #870 ran concurrency 8-64 on 8 x H200 TP8; before, 32 and 64 were 'over memory' (exit 2)."""
    out, _ = _cli(capsys, *IX870, "--batch", "8,16,32,64", "--json")
    doc = json.loads(out)
    points = doc["results"][0]["points"]
    assert [p["batch"] for p in points] == [8, 16, 32, 64]
    assert all(p["fits"] for p in points)
    assert [p["usable_memory_bytes_per_device"] for p in points] == pytest.approx([0.886 * H200_MIB * MIB] * 4)


def test_the_default_is_printed_with_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _cli(capsys, *IX870, "--batch", "32", "--json")
    (note,) = [n for n in json.loads(out)["notes"] if "SGLang's mem_fraction_static" in n]
    assert note.startswith("default used:") and "0.886" in note and "001067fffe33" in note
    assert "--memory-fraction" in note  # the fix: give the run's own --mem-fraction-static
    text, _ = _cli(capsys, *IX870, "--batch", "32")
    flat = " ".join(text.split())
    assert "default used: SGLang's mem_fraction_static on h200 at --tp-size 8 = 0.886" in flat
    assert "001067fffe33" in flat

    # --memory-fraction replaces the default, and the line goes
    out, _ = _cli(capsys, *IX870, "--batch", "32", "--memory-fraction", "0.578", "--json", code=2)
    doc = json.loads(out)
    assert not [n for n in doc["notes"] if "SGLang's mem_fraction_static" in n]
    (point,) = doc["results"][0]["points"]
    assert point["usable_memory_bytes_per_device"] == pytest.approx(0.578 * H200_MIB * MIB)
    assert point["fits"] is False  # 83.0 GiB of 81.2: the old rule's verdict, now only when asked for


def test_mi355x_rows_keep_their_launch_share() -> None:
    """The four sglang rows (MI355X, SGLang 0.5.17, --mem-fraction-static 0.68 scaled by 0.85 with aiter) carry
    0.578 as their memory_fraction cell, so their usable memory is what it was under the old engine rule."""
    sglang = [r for r in read_serving_runs()[0] if r["engine"] == "sglang"]
    rows = [r for r in sglang if r["hardware"] == "mi355x"]
    assert len(rows) == 4
    # The other sglang rows: gpustack's H100 runs (no --mem-fraction-static in their commands: SGLang's rule) and the
    # LMSYS large-EP rows (sgl-project/sglang issue #6017's launch commands: decode 0.846, prefill 0.85).
    others = {r["id"]: r["memory_fraction"] for r in sglang if r["hardware"] != "mi355x"}
    assert {k: v for k, v in others.items() if v} == {"lmsys-h100-dsv3-decode-ep72": "0.846",
                                                       "lmsys-h100-dsv3-prefill-ep32": "0.85"}
    assert {r["memory_fraction"] for r in rows} == {"0.578"}
    spec = get_device("mi355x")
    assert {row_calibration(r, spec).memory_utilization for r in rows} == {0.578}
    results = {r.id: r for r in validate_serving().runs}
    for r in rows:
        usable = results[r["id"]].usable_memory_bytes_per_device
        assert usable == pytest.approx(0.578 * spec.memory_bytes)


def test_a_row_without_a_cell_takes_sglangs_rule(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    """A runs-file row of engine sglang with no memory_fraction cell gets the same default as plan serve."""
    p = tmp_path / "serving.csv"
    p.write_text(
        "id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
        "published,role,note\n"
        "ix870-c32,SemiAnalysisAI/InferenceX#870,sglang,h200,deepseek-v3,8,1,fp8,bf16,1024,1024,32,tpot_ms,"
        "25.6,test,\n"
    )
    out, _ = _cli(capsys, "validate", "--serving", "--runs", str(p), "--json")
    (run,) = json.loads(out)["runs"]
    assert run["usable_memory_bytes_per_device"] == pytest.approx(0.886 * H200_MIB * MIB)
    assert run["memory_bytes_per_device"] < run["usable_memory_bytes_per_device"]
