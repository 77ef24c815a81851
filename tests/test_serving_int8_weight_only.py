"""srvfit (issue #10): `--weight-dtype int8` is weight-only (W8A16), as gpt-fast's and TensorRT-LLM's int8 modes run;
`--weight-dtype w8a8` is int8 weights and activations (SmoothQuant) at the int8 peak.

Before: int8 weights ran as W8A8, their prefill GEMMs at the int8 peak (2x the 16-bit one on an A100: 624 vs 312
TOPS/TFLOPS, NVIDIA A100 datasheet), while every int8 row of the published serving runs is weight-only (gpt-fast
`quantize.py --mode int8`, WeightOnlyInt8QuantHandler: int8 weights, bf16 activations; transformers-neuronx's int8
weight storage with Matmult-BF16), and the weight-only case could not be expressed at all. Now int8 dequantizes to
16 bits and runs at the 16-bit peak, w8a8 keeps the old W8A8 path, both from the CLI and the runs file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.errors import InfeasibleError
from accelopt.hardware.catalog import get_device
from accelopt.predict import serving as sv
from accelopt.predict.serving_validation import predict_row, read_serving_runs, validate_serving
from accelopt.workload.presets import get_model

A100 = "a100-sxm-80gb"


def _predict(weight_dtype: str, device: str = A100, prompt_len: int = 2048) -> sv.ServingPrediction:
    return sv.predict_serving(get_model("llama3-8b"), get_device(device), batch=1, prompt_len=prompt_len,
                              output_len=128, weight_dtype=weight_dtype)


def test_int8_runs_its_matmuls_at_the_16_bit_peak_and_w8a8_at_the_int8_peak() -> None:
    a100 = get_device(A100)
    assert sv.compute_dtype_for(a100, "int8") == "bf16"
    assert sv.compute_dtype_for(a100, "w8a8") == "int8"
    assert sv.weight_bytes_per_param("int8") == sv.weight_bytes_per_param("w8a8") == 1.0


def test_int8_prefill_takes_the_bf16_gemm_time_w8a8_half_of_it() -> None:
    """A 2048-token prefill of Llama 3 8B is compute-bound: int8 weight-only takes bf16's compute time (the same
    matmuls at the same peak), W8A8 about half of its linear GEMMs' time (the int8 peak is 2x)."""
    bf16, int8, w8a8 = _predict("bf16"), _predict("int8"), _predict("w8a8")
    assert int8.prefill.compute_s == pytest.approx(bf16.prefill.compute_s)
    assert int8.prefill.bound == "compute"
    assert 1.6 < int8.ttft_s / w8a8.ttft_s < 2.0  # the attention core stays 16-bit in both
    assert int8.compute_dtype == "bf16" and w8a8.compute_dtype == "int8"
    # decode reads 1 B per weight either way; the A100's int8 weight-only kernels read them at a lower share of the
    # bandwidth (int8_weight_only_bandwidth_ratio, tests/test_serving_int8_read_ratio.py), the same step elsewhere
    assert int8.decode_step.memory_s > w8a8.decode_step.memory_s
    h100 = [_predict(w, "h100-sxm") for w in ("int8", "w8a8")]
    assert h100[0].decode_step.memory_s == pytest.approx(h100[1].decode_step.memory_s)


def test_an_int8_only_device_runs_w8a8_and_refuses_weight_only_int8() -> None:
    """A device with an int8 peak and no 16-bit one (the T4 stripped; TPU v1, Edge TPU) cannot dequantize to 16-bit
    matmuls: int8 is refused with w8a8 as the fix; w8a8 runs."""
    t4 = get_device("t4")
    from dataclasses import replace

    int8_only = replace(t4, peak_flop_per_s={"int8": t4.peak_flop_per_s["int8"]}, measured_matmul_flop_per_s={})
    with pytest.raises(InfeasibleError) as e:
        sv.compute_dtype_for(int8_only, "int8")
    assert "no bf16/fp16 peak" in e.value.problem and "int8 weight-only" in e.value.problem
    assert "w8a8" in e.value.fix
    assert sv.compute_dtype_for(int8_only, "w8a8") == "int8"


def test_plan_serve_cli_expresses_both_and_says_which(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "serve", "--model", "llama3-8b", "--hardware", A100, "--batch", "1", "--prompt", "2048",
            "--output", "128"]
    docs: dict[str, Any] = {}
    for dtype in ("int8", "w8a8"):
        code, out, err = run_main([*base, "--weight-dtype", dtype, "--json"], capsys)
        assert code == 0, err
        docs[dtype] = json.loads(out)["results"][0]["points"][0]
    assert docs["int8"]["compute_dtype"] == "bf16" and docs["w8a8"]["compute_dtype"] == "int8"
    assert docs["int8"]["ttft_s"] > 1.6 * docs["w8a8"]["ttft_s"]
    code, out, err = run_main([*base, "--weight-dtype", "int8"], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "on a100-sxm-80gb the int8 weights are served weight-only (W8A16" in text
    assert "--weight-dtype w8a8" in text
    code, out, err = run_main([*base, "--weight-dtype", "w8a8"], capsys)
    assert code == 0 and "served weight-only" not in " ".join(out.split()), err
    code, out, err = run_main(["plan", "serve", "--help"], capsys)
    assert "w8a8" in " ".join(out.split())


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_published_int8_rows_are_predicted_weight_only() -> None:
    """Every int8 row of the runs file (gpt-fast and transformers-neuronx: weight-only) predicts as its matmuls at the
    16-bit peak: the Neuron Llama-3-8B TTFT rows, compute-bound, now equal the same row with bf16 matmuls (their
    prefill's weight reads do not bound it), where W8A8 gave -55.2% to -32.7%."""
    rows = [r for r in read_serving_runs()[0] if r["weight_dtype"] == "int8"]
    assert len(rows) == 16
    ttft = [r for r in rows if r["metric"] == "ttft_ms"]
    assert len(ttft) == 6
    for r in ttft:
        int8, w8a8 = predict_row(r)[0], predict_row({**r, "weight_dtype": "w8a8"})[0]
        assert int8 > 1.2 * w8a8, r["id"]
        assert int8 == pytest.approx(predict_row({**r, "weight_dtype": "bf16"})[0], rel=1e-6), r["id"]
    r = next(r for r in ttft if r["id"] == "nrn-trn1-l3-8b-b8-128-3968-ttft")
    assert predict_row(r)[0] / float(r["published"]) - 1 == pytest.approx(-0.059, abs=0.001)


def test_a_runs_file_row_takes_w8a8(tmp_path: Path) -> None:
    """The runs file's weight_dtype cell takes w8a8 (validated as `plan serve` would), predicted at the int8 peak."""
    rows, _ = read_serving_runs()
    src = Path(__file__).resolve().parent.parent / "src/accelopt/predict/data/published_serving_runs.csv"
    lines = src.read_text(encoding="utf-8").splitlines()
    header = next(ln for ln in lines if ln.startswith("id,"))
    row = next(ln for ln in lines if ln.startswith("nrn-trn1-l3-8b-b8-128-3968-ttft,"))
    w8a8_row = row.replace(",int8,bf16,", ",w8a8,bf16,", 1).replace("nrn-trn1-l3-8b-b8-128-3968-ttft",
                                                                    "my-w8a8-row", 1)
    csv = tmp_path / "runs.csv"
    csv.write_text("\n".join([*[ln for ln in lines if ln.startswith("#")], header, w8a8_row]) + "\n", encoding="utf-8")
    result = validate_serving(csv)
    [run] = result.runs
    orig = next(r for r in rows if r["id"] == "nrn-trn1-l3-8b-b8-128-3968-ttft")
    assert run.predicted == pytest.approx(predict_row({**orig, "weight_dtype": "w8a8"})[0])
    assert run.precision == "w8a8/bf16"


@pytest.mark.parametrize(("quant", "flag"), [
    ({"bits": 8, "quant_method": "gptq"}, "int8"),  # GPTQ: weight-only
    ({"quant_method": "bitsandbytes", "load_in_8bit": True}, "w8a8"),  # LLM.int8(): int8 x int8 matmuls
    # compressed-tensors: neuralmagic ...-quantized.w8a8 (int8 activations) and ...-quantized.w8a16 (none)
    ({"quant_method": "compressed-tensors", "config_groups": {"group_0": {
        "targets": ["Linear"], "weights": {"num_bits": 8, "type": "int", "strategy": "channel"},
        "input_activations": {"num_bits": 8, "type": "int", "dynamic": True}}}}, "w8a8"),
    ({"quant_method": "compressed-tensors", "config_groups": {"group_0": {
        "targets": ["Linear"], "weights": {"num_bits": 8, "type": "int", "strategy": "channel"}}}}, "int8"),
])
def test_quantized_checkpoint_names_weight_only_or_w8a8(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        quant: dict[str, Any], flag: str) -> None:
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 512,
           "intermediate_size": 1024, "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 8,
           "vocab_size": 1000, "max_position_embeddings": 2048, "torch_dtype": "bfloat16",
           "quantization_config": quant}
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    code, out, err = run_main(["plan", "serve", "-m", str(p), "--hardware", A100, "--batch", "1", "--json"], capsys)
    assert code == 0, err
    assert any(f"--weight-dtype {flag}`" in n for n in json.loads(out)["notes"])
