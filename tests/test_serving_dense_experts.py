"""`plan serve --dense-experts` (serving_moe.MoELayout.dense_experts; trt09, 2026-12-04): every routed expert runs on
every token, its output masked by the router, as TensorRT-LLM's MoE without its plugin ('OOTB') computes it
(tensorrt_llm/layers/moe.py MixtureOfExperts.forward at NVIDIA/TensorRT-LLM@250d9c293d5edbc2a45c20775b3150b1eb68b364:
`out = expert(hidden_states)` for each expert, then `output += out * expert_weights`).

The flag's work is that of top_k = experts (the FLOPs and the weight reads of all experts, every step); the weights
held and the KV cache are the model's. It is refused on a dense model and beside --ep / --attention-dp (the engine
path it names is modelled under plain tensor parallelism), and said beside the result."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict import serving as sv
from accelopt.predict import serving_moe
from accelopt.predict.serving_moe import MoELayout
from accelopt.workload.presets import get_model

MIXTRAL = get_model("mixtral-8x7b")
H100 = get_device("h100-sxm")
DENSE = MoELayout(dense_experts=True)
KW = {"tp": 2, "weight_dtype": "fp8", "kv_dtype": "fp8", "allow_oom": True}


def test_routed_model_is_every_expert_per_token() -> None:
    assert (MIXTRAL.experts, MIXTRAL.top_k) == (8, 2)
    assert serving_moe.routed_model(MIXTRAL, DENSE).top_k == 8
    assert serving_moe.routed_model(MIXTRAL, MoELayout()) is MIXTRAL


@pytest.mark.parametrize(("prompt", "output", "batch"), [(2048, 1, 1), (128, 1, 1), (128, 128, 512)])
def test_prediction_is_that_of_top_k_equal_to_experts(prompt: int, output: int, batch: int) -> None:
    """The work is all experts' on every token, as ordinary GEMMs of the dense roofline (rtrt: no grouped GEMM, see
    test_experts_are_ordinary_gemms), so the prediction is top_k = experts' under the table without its grouped-GEMM
    efficiencies; the weights held and the KV cache stay the model's."""
    cal = sv.engine_calibration(H100)
    assert serving_moe.grouped_gemm_calibrated(cal)
    dense = sv.predict_serving(MIXTRAL, H100, batch=batch, prompt_len=prompt, output_len=output, calibration=cal,
                               moe=DENSE, **KW)
    no_grouped = replace(cal, grouped_gemm_compute_efficiency=None, grouped_gemm_bandwidth_efficiency=None)
    all_k = sv.predict_serving(replace(MIXTRAL, top_k=8), H100, batch=batch, prompt_len=prompt, output_len=output,
                               calibration=no_grouped, **KW)
    routed = sv.predict_serving(MIXTRAL, H100, batch=batch, prompt_len=prompt, output_len=output,
                                calibration=no_grouped, **KW)  # top-2, the same GEMM form
    assert dense.ttft_s == pytest.approx(all_k.ttft_s) and dense.tpot_s == pytest.approx(all_k.tpot_s)
    assert dense.weights_bytes_per_device == routed.weights_bytes_per_device
    assert dense.kv_cache_bytes_per_device == routed.kv_cache_bytes_per_device
    # four times the experts' FLOPs per token; a 128-token forward of batch 1 reads every expert either way (uniform
    # top-2 routing of 128 tokens touches all 8) and is bound by that read
    assert dense.ttft_s > routed.ttft_s if batch * prompt >= 2048 else dense.ttft_s == pytest.approx(routed.ttft_s)


@pytest.mark.parametrize(("model", "lay", "words"), [
    (get_model("llama2-7b"), DENSE, "a dense model has no routed experts"),
    (MIXTRAL, MoELayout(dense_experts=True, ep=2), "give --ep 1 and --attention-dp 1 with --dense-experts"),
    (MIXTRAL, MoELayout(dense_experts=True, attention_dp=2), "plain tensor parallelism only"),
])
def test_refused_where_it_cannot_apply(model, lay: MoELayout, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as e:
        serving_moe.check_layout(model, 2, lay)
    assert words in e.value.problem + e.value.fix and "--dense-experts" in e.value.problem + e.value.fix


def test_cli_gives_the_library_result_and_says_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--tp", "2",
                               "--weight-dtype", "fp8", "--kv-dtype", "fp8", "--prompt", "2048", "--output", "1",
                               "--batch", "1", "--dense-experts", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    lib = sv.predict_serving(MIXTRAL, H100, batch=1, prompt_len=2048, output_len=1,
                             calibration=sv.engine_calibration(H100), moe=DENSE, **KW)
    assert doc["results"][0]["points"][0]["ttft_s"] == pytest.approx(lib.ttft_s)
    assert any(n.startswith("given: --dense-experts: each of the 8 routed experts runs on every token")
               and "timed as ordinary GEMMs one expert after another" in n for n in doc["notes"])  # rtrt
    code, out, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "h100-sxm", "--batch", "1",
                               "--dense-experts"], capsys)
    assert code == 2 and "--dense-experts on llama2-7b" in out + err


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_refused_with_an_engine_that_runs_only_the_routed_experts(engine: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """small (2026-12-04): `--dense-experts --engine vllm` printed every expert's work 'as TensorRT-LLM's MoE
    without its plugin does', for an engine whose MoE has no such path: exit 2 naming the engine and the fix."""
    code, out, err = run_main(["plan", "serve", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--tp", "2",
                               "--batch", "1", "--dense-experts", "--engine", engine], capsys)
    assert code == 2, out + err
    assert f"--dense-experts with --engine {engine}" in err and "--engine trtllm" in err, err
    code, _, err = run_main(["plan", "serve", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--tp", "2",
                             "--batch", "1", "--dense-experts", "--engine", "trtllm"], capsys)
    assert code == 0, err


@pytest.mark.parametrize(("prompt", "output", "batch"), [(2048, 1, 1), (128, 2048, 256), (2048, 2048, 32)])
def test_experts_are_ordinary_gemms(prompt: int, output: int, batch: int) -> None:
    """rtrt (2026-12-05): TensorRT-LLM's OOTB MoE calls each expert's GatedMLP (Linear / FP8Linear GEMMs) one after
    another (moe.py MixtureOfExperts.forward at NVIDIA/TensorRT-LLM@250d9c29: `out = expert(hidden_states)`), so no
    grouped-GEMM kernel times them: the routed experts' kernel is empty under --dense-experts, and the prediction
    differs from top_k = experts' through the grouped kernel."""
    cal = sv.engine_calibration(H100)
    s = sv._setup(serving_moe.routed_model(MIXTRAL, DENSE), H100, 2, 1, "fp8", "fp8",
                  sv.calibration_for_spec(H100, cal), DENSE)
    assert serving_moe.tp_expert_kernel(s, batch * prompt, batch * prompt, 1) == serving_moe.ExpertKernel()
    routed = replace(s, moe=MoELayout())  # the same work through the grouped-GEMM kernel
    assert serving_moe.tp_expert_kernel(routed, batch, batch, 1).time_s > 0
    dense = sv.predict_serving(MIXTRAL, H100, batch=batch, prompt_len=prompt, output_len=output, calibration=cal,
                               moe=DENSE, **KW)
    grouped = sv.predict_serving(replace(MIXTRAL, top_k=8), H100, batch=batch, prompt_len=prompt, output_len=output,
                                 calibration=cal, **KW)
    assert dense.ttft_s != pytest.approx(grouped.ttft_s, rel=1e-3)


def test_no_grouped_gemm_note_under_dense_experts(capsys: pytest.CaptureFixture[str]) -> None:
    """rtrt (2026-12-05): on a family whose grouped-GEMM efficiencies are carried (B200), plan serve says so for the
    routed experts but not under --dense-experts, which runs no grouped GEMM."""
    args = ["plan", "serve", "--model", "mixtral-8x7b", "--hardware", "b200", "--tp", "2", "--weight-dtype", "fp8",
            "--kv-dtype", "fp8", "--prompt", "128", "--output", "128", "--batch", "8", "--json"]
    notes = {}
    for dense in (False, True):
        code, out, err = run_main([*args, *(["--dense-experts"] if dense else [])], capsys)
        assert code == 0, err
        notes[dense] = [n for n in json.loads(out)["notes"] if "grouped-GEMM efficiencies carried" in n]
    assert notes[False] and not notes[True]
