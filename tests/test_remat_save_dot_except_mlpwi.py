"""`--recompute save_dot_except_mlpwi`: MaxText's remat_policy 'save_dot_except_mlpwi' (AI-Hypercomputer/maxtext
MaxText/layers/decoders.py get_remat_policy, stored code index id 1362932059: save_only_these_names('query_proj',
'value_proj', 'key_proj', 'qkv_proj', 'out_proj', 'mlpwo')), the policy of the MaxText tiering page's v5p Llama 2 70B
row (recipe llama2_70b_v5p_128, maxtext benchmarks/maxtext_v5p_model_configs.py stored 8270e05).

What is checked, from the model's own terms: memory = the Q, K, V and out_proj outputs and the layer input, 2 B each
per token and layer (split over tp as minimal's), i.e. minimal's set less the MLP up-projection outputs; time = the
same as selective + the mlp module (the attention core, 'context' not saved, and the MLP block, the saved mlpwo not
re-run under XLA). Before 2026-12-05 (rmemfit) the row was priced as recompute selective + module mlp, whose memory
keeps Megatron's per-layer tensors: 163.4 GB of the v5p's 102.8 GB (a MEMORY_GAPS strict xfail in
tests/test_plan_memory_capacity.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import plan_explain_terms, run_main_expect

from accelopt.errors import InfeasibleError
from accelopt.predict.memory import activation_bytes_per_layer
from accelopt.predict.query import LayoutQuery, predict_layout
from accelopt.predict.training import RECOMPUTE
from accelopt.predict.validation import read_runs, run_query
from accelopt.workload.presets import get_model

ROW = next(r for r in read_runs() if r["id"] == "maxtext-v5p-llama2-70b-512")
BASE = LayoutQuery(model=get_model("llama3-8b"), hardware="h100-sxm", devices=16, tp=4, pp=2, recompute="none",
                   sp=True, seq_len=4096, global_batch_seqs=64)
CODE = RECOMPUTE["save_dot_except_mlpwi"]


def _terms(q: LayoutQuery, recompute: str, modules: tuple[str, ...] = ()) -> dict[str, float]:
    return predict_layout(replace(q, recompute=recompute, recompute_modules=modules)).terms


@pytest.mark.parametrize(("tp", "sp", "per_token"), [
    # Llama 3 8B (q 4096, h 4096, 8 KV heads x 128 = 1024): 2 B x (q + out_proj h) / tp + K, V of the rank's KV heads
    # + the layer input h (/ tp with sequence parallel)
    (4, True, 2 * (4096 + 4096) / 4 + 2 * 2 * 1024 / 4 + 2 * 4096 / 4),  # 6,656 B
    (1, False, 2 * (4096 + 4096) + 2 * 2 * 1024 + 2 * 4096),  # 28,672 B
])
def test_per_layer_bytes_are_the_saved_names(tp: int, sp: bool, per_token: float) -> None:
    model, s, b = BASE.model, 4096, 2
    got = activation_bytes_per_layer(model, np.array([b]), np.array([s]), np.array([tp]), np.array([sp]),
                                     np.array([CODE]), True, False)
    assert got[0] == pytest.approx(per_token * s * b, rel=1e-12)
    minimal = activation_bytes_per_layer(model, np.array([b]), np.array([s]), np.array([tp]), np.array([sp]),
                                         np.array([RECOMPUTE["minimal"]]), True, False)
    up = 2 * s * b * 2 * model.ffn / tp  # minimal also keeps the two SwiGLU up-projection outputs
    assert minimal[0] - got[0] == pytest.approx(up, rel=1e-12)


def test_time_is_selective_plus_the_mlp_module() -> None:
    for q in (BASE, replace(BASE, flash=False), run_query(ROW)):
        pol, sel_mlp = _terms(q, "save_dot_except_mlpwi"), _terms(q, "selective", ("mlp",))
        for name in ("t_recompute_s", "step_time_s", "hw_flops_per_step"):
            assert pol[name] == pytest.approx(sel_mlp[name], rel=1e-12), name
        assert pol["t_recompute_s"] > _terms(q, "selective")["t_recompute_s"] > 0.0


def test_the_tiering_row_carries_its_policy_and_fits() -> None:
    """163.4 GB under selective + module mlp -> 77.5 GB of 102.8 GB: 3.69 weights (sharded + gathered layers), 0.27
    gradients, 1.62 optimizer state and 71.89 GB of activations = 80 layers x 16,384 tokens (batch 4 x 4096) x 26,624
    values x 2 B (69.79 GB) + the fp32 logits, 4 B x 16,384 x 32,000 (2.10 GB)."""
    assert ROW["recompute"] == "save_dot_except_mlpwi" and ROW["recompute_modules"] == ""
    res = predict_layout(run_query(ROW))
    old = predict_layout(replace(run_query(ROW), recompute="selective", recompute_modules=("mlp",)))
    saved = 8192 + 1024 + 1024 + 8192 + 8192  # q, k, v, out_proj outputs and the layer input per token
    tokens = 4 * 4096
    assert saved == 26_624 and round(80 * tokens * saved * 2 / 1e9, 2) == 69.79
    assert round(4 * tokens * 32000 / 1e9, 2) == 2.10
    assert res.terms["mem_activations_bytes"] == pytest.approx(80 * tokens * saved * 2 + 4 * tokens * 32000,
                                                               rel=1e-12)
    gb = {k: round(res.terms[k] / 1e9, 2) for k in ("mem_weights_bytes", "mem_grads_bytes", "mem_optimizer_bytes",
                                                    "mem_activations_bytes")}
    assert gb == {"mem_weights_bytes": 3.69, "mem_grads_bytes": 0.27, "mem_optimizer_bytes": 1.62,
                  "mem_activations_bytes": 71.89}
    assert round(res.terms["mem_total_bytes"] / 1e9, 1) == 77.5 and round(old.terms["mem_total_bytes"] / 1e9, 1) \
        == 163.4 and round(res.spec.memory_bytes / 1e9, 1) == 102.8
    assert res.fits_memory and not old.fits_memory
    # with mlpwo's output kept as well (34,816 values): 91.3 GB of activations, it would still fit
    assert round(80 * tokens * (saved + 8192) * 2 / 1e9, 1) == 91.3
    assert res.terms["step_time_s"] == old.terms["step_time_s"]


def test_no_module_list_with_save_dot_except_mlpwi() -> None:
    with pytest.raises(InfeasibleError, match="recompute modules"):
        predict_layout(replace(BASE, recompute="save_dot_except_mlpwi", recompute_modules=("mlp",)))


def test_cli_plan_explain_says_save_dot_except_mlpwi(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", "explain", "--model", "llama2-7b", "--hardware", "h100-sxm", "--devices", "8", "--zero", "3",
            "--mbs", "4", "--seq-len", "4096", "--global-batch", "32seq", "--json"]
    t_p = plan_explain_terms(capsys, *args, "--recompute", "save_dot_except_mlpwi")
    t_mn = plan_explain_terms(capsys, *args, "--recompute", "minimal")
    assert t_p["t_recompute_s"] > t_mn["t_recompute_s"] > 0.0  # + the MLP block
    assert t_p["mem_activations_bytes"] < t_mn["mem_activations_bytes"]  # - the MLP up-projection outputs
    _, err = run_main_expect(capsys, *args, "--recompute", "save-dot-except-mlpwi", code=2)
    assert "save_dot_except_mlpwi" in err
