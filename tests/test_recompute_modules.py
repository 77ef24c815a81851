"""Megatron-Core's selective-recompute module list (--recompute-modules, the runs file's recompute_modules column) as an
input of the predictor (issue 10: "recompute variants beyond none/selective/full").

Megatron-Core takes a list of modules to recompute (NVIDIA/Megatron-LM megatron/core/transformer/transformer_config.py
at 002526d81b81f6ab534e93844f9a228709887494, recompute_modules: core_attn, moe_act, layernorm, mla_up_proj, mlp, moe,
shared_experts). Each module costs its forward again in the backward (training.module_recompute_s: the functions the
forward uses) and frees its saved tensors (memory._module_released_bytes). The list is a generalisation of the modes the
predictor already had: core_attn alone is `--recompute selective`, mlp alone on a dense model is `--recompute mlp`; the
tests pin those identities exactly, then each module's own time and memory against the forward's terms.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import explain_terms, run_main

from accelopt.errors import InfeasibleError, InputError
from accelopt.predict.compute import (
    Device,
    activation_bytes,
    memory_ops_s,
    mla_up_gemms_s,
    moe_act_elems,
    norm_elems,
)
from accelopt.predict.query import LayoutQuery, predict_layout
from accelopt.predict.training import _device, modules_beyond_mode, parse_recompute_modules, recompute_text
from accelopt.predict.validation import read_runs, run_query
from accelopt.workload.presets import get_model

DENSE = LayoutQuery(model=get_model("llama3-70b"), hardware="h100-sxm", devices=64, tp=8, pp=2, zero=1,
                    recompute="none", seq_len=8192, global_batch_seqs=128)
DSV3 = LayoutQuery(model=get_model("deepseek-v3"), hardware="gb200", devices=256, pp=4, vp=4, ep=64, zero=1,
                   recompute="none", seq_len=4096, global_batch_seqs=4096)
SAME = ("step_time_s", "t_recompute_s", "t_tp_comm_s", "hw_flops_per_step", "mem_activations_bytes", "mem_total_bytes")


def _terms(q: LayoutQuery) -> dict[str, float]:
    return predict_layout(q).terms


def _dev(q: LayoutQuery) -> Device:
    res = predict_layout(q)
    return _device(res.spec, res.setup.dtype, res.cal, res.setup.fp8_recipe)


@pytest.mark.parametrize("flash", [True, False])
def test_core_attn_alone_is_selective(flash: bool) -> None:
    """`--recompute none --recompute-modules core_attn` gives `--recompute selective`'s numbers exactly (time, tensor-
    parallel collectives, hardware FLOPs, memory; without a fused kernel the s x s tensors are not kept either)."""
    base = replace(DENSE, flash=flash)
    listed = _terms(replace(base, recompute_modules=("core_attn",)))
    mode = _terms(replace(base, recompute="selective"))
    assert all(listed[k] == mode[k] for k in SAME), {k: (listed[k], mode[k]) for k in SAME}
    assert listed["t_recompute_s"] > 0


def test_mlp_alone_is_the_mlp_mode_on_a_dense_model() -> None:
    """`--recompute none --recompute-modules mlp` gives `--recompute mlp`'s numbers exactly on a dense model (its MLP
    GEMMs again, the MLP's forward all-gather + reduce-scatter again, its inner tensors not kept)."""
    listed = _terms(replace(DENSE, recompute_modules=("mlp",)))
    mode = _terms(replace(DENSE, recompute="mlp"))
    assert all(listed[k] == mode[k] for k in SAME), {k: (listed[k], mode[k]) for k in SAME}
    # and the mode with its own module named again is not counted twice
    both = _terms(replace(DENSE, recompute="mlp", recompute_modules=("mlp",)))
    assert all(both[k] == mode[k] for k in SAME)


def test_selective_plus_mlp_is_the_sum_of_both() -> None:
    """Modules add: selective (core_attn) + mlp recomputes both, their times summed."""
    none = _terms(DENSE)
    sel, mlp = _terms(replace(DENSE, recompute="selective")), _terms(replace(DENSE, recompute="mlp"))
    both = _terms(replace(DENSE, recompute="selective", recompute_modules=("mlp",)))
    assert both["t_recompute_s"] == pytest.approx(sel["t_recompute_s"] + mlp["t_recompute_s"], rel=1e-12)
    # with a fused kernel the attention core keeps no s x s tensor to free: the MLP's inner tensors are what goes
    assert both["mem_activations_bytes"] == mlp["mem_activations_bytes"] < none["mem_activations_bytes"]


def test_mla_up_proj_costs_the_up_projection_gemms() -> None:
    """mla_up_proj redoes the Q and KV up-projection GEMMs of every layer (compute.mla_up_gemms_s, the forward's own
    shapes) in each micro-batch's backward; it frees Q (heads x qk_head_dim) and K, V (heads x (qk + v)) of every layer
    kept in flight, 2 bytes each."""
    plain = predict_layout(DSV3)
    res = predict_layout(replace(DSV3, recompute_modules=("mla_up_proj",)))
    ls, m = res.terms["layers_per_stage"], res.layout.m
    T = np.asarray([float(DSV3.mbs * DSV3.seq_len)])
    (t_kv, _), (t_q, _) = mla_up_gemms_s(DSV3.model, T, np.asarray([1.0]), activation_bytes("bf16"), _dev(DSV3))
    assert res.terms["t_recompute_s"] == pytest.approx(float(m * ls * (t_kv + t_q)[0]), rel=1e-12)
    assert plain.terms["t_recompute_s"] == 0.0
    mla = DSV3.model
    per_layer = 2.0 * T[0] * (mla.q_width + mla.kv_width_per_device(1))  # Q and K, V of one layer, one micro-batch
    freed = plain.terms["mem_activations_bytes"] - res.terms["mem_activations_bytes"]
    assert freed / per_layer == pytest.approx(round(freed / per_layer), abs=1e-6)  # whole layer-micro-batches
    assert freed > 0


def test_elementwise_modules_cost_their_bytes_at_the_hbm_rate() -> None:
    """moe_act (the routed experts' activation, on the MoE layers) and layernorm (the two pre-norms) are memory-bound:
    their bytes (compute.moe_act_elems / norm_elems, as the forward counts them) at the device's HBM rate."""
    dev = _dev(DSV3)
    mdl, T, one = DSV3.model, np.asarray([float(DSV3.seq_len)]), np.asarray([1.0])
    frac_moe = mdl.moe_layers / mdl.layers
    for name, per_layer in (
            ("moe_act", frac_moe * memory_ops_s(moe_act_elems(mdl, T, one, 3, mdl.top_k) * 2.0, dev, 1.0)),
            ("layernorm", memory_ops_s(norm_elems(mdl, T, 2.0) * 2.0, dev, 2.0))):
        res = predict_layout(replace(DSV3, recompute_modules=(name,)))
        want = res.layout.m * res.terms["layers_per_stage"] * float(per_layer[0])
        assert res.terms["t_recompute_s"] == pytest.approx(want, rel=1e-12), name


def test_moe_recomputes_the_expert_block_and_its_all_to_alls() -> None:
    """moe (Megatron-Core's MoE-layer checkpoint) redoes the expert block and its dispatch + combine all-to-alls; it
    covers shared_experts and moe_act (naming them too changes nothing)."""
    plain, moe = _terms(DSV3), _terms(replace(DSV3, recompute_modules=("moe",)))
    assert moe["t_ep_comm_raw_s"] == pytest.approx(plain["t_ep_comm_raw_s"] * 6 / 4, rel=1e-12)
    assert moe["t_recompute_s"] > _terms(replace(DSV3, recompute_modules=("shared_experts",)))["t_recompute_s"] > 0
    every = _terms(replace(DSV3, recompute_modules=("moe", "shared_experts", "moe_act")))
    assert all(every[k] == moe[k] for k in SAME)


@pytest.mark.parametrize("mods", [("moe",), ("shared_experts",), ("moe_act",), ("moe", "shared_experts")])
def test_mlp_mode_on_moe_already_covers_the_expert_modules(mods: tuple[str, ...]) -> None:
    """`--recompute mlp` on an MoE model already redoes the expert block (routed and shared experts, their
    activation) and keeps none of its inner tensors: naming moe, shared_experts or moe_act too was counted a second
    time (recompute time twice, and the released bytes subtracted twice: deepseek-moe-16b's activations came out
    negative, -784 MB). The mode's numbers, unchanged."""
    q = LayoutQuery(model=get_model("deepseek-moe-16b"), hardware="h100-sxm", devices=16, tp=2, ep=8, zero=1,
                    recompute="mlp", seq_len=4096, global_batch_seqs=1024)
    mode, res = _terms(q), predict_layout(replace(q, recompute_modules=mods))
    listed = res.terms
    assert listed["mem_activations_bytes"] > 0
    assert all(listed[k] == mode[k] for k in SAME), {k: (listed[k], mode[k]) for k in SAME}
    # and `plan explain` says the list adds nothing, not that each module's forward is redone
    assert any("adds nothing here: --recompute mlp already" in n for n in res.notes), res.notes


def test_full_recompute_takes_no_module() -> None:
    """Full recompute already redoes each whole layer: a module list adds nothing (and `plan explain` says so)."""
    full = predict_layout(replace(DSV3, recompute="full"))
    listed = predict_layout(replace(DSV3, recompute="full", recompute_modules=("mla_up_proj", "moe_act")))
    assert all(listed.terms[k] == full.terms[k] for k in SAME)
    assert any("adds nothing here" in n for n in listed.notes)


def test_parse_names_order_and_errors() -> None:
    assert parse_recompute_modules("moe_act, mla_up_proj,moe_act") == ("moe_act", "mla_up_proj")
    assert parse_recompute_modules("mla_up_proj+mlp") == ("mlp", "mla_up_proj")
    assert parse_recompute_modules("") == ()
    with pytest.raises(InputError, match="'attn' is not a Megatron-Core recompute module") as e:
        parse_recompute_modules("attn")
    assert "core_attn" in e.value.fix
    with pytest.raises(InputError, match="lower case: mlp"):
        parse_recompute_modules("MLP")


@pytest.mark.parametrize("text", ["mlp,", ",", "mlp,,moe_act", "+mlp"])
def test_an_empty_module_name_is_an_error(text: str) -> None:
    # 'mlp,' and ',' were taken as 'mlp' and as no module, without a word (review2)
    with pytest.raises(InputError, match="has an empty module name"):
        parse_recompute_modules(text)
    assert parse_recompute_modules(" ") == ()  # blank: none, as the runs file's empty cell


def test_a_module_the_model_lacks_is_an_error() -> None:
    """Megatron-Core skips a module the layer does not have without a word; here it is an error naming it."""
    for name, why in (("mla_up_proj", "multi-latent"), ("moe_act", "no MoE"), ("shared_experts", "no shared")):
        with pytest.raises(InputError, match=why):
            predict_layout(replace(DENSE, recompute_modules=(name,)))
    qwen = replace(DSV3, model=get_model("qwen3-235b-a22b"), ep=64, pp=4, vp=1)
    with pytest.raises(InputError, match="no dense MLP layers"):
        predict_layout(replace(qwen, recompute_modules=("mlp",)))


@pytest.mark.parametrize("mode", ["minimal", "op"])
def test_other_frameworks_policies_take_no_module(mode: str) -> None:
    with pytest.raises(InfeasibleError, match="recompute modules") as e:
        predict_layout(replace(DENSE, recompute=mode, recompute_modules=("mlp",)))
    assert "--recompute none, selective or mlp with --recompute-modules" in e.value.fix


def _explain(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    return run_main(["plan", "explain", "--model", "deepseek-v3", "--hardware", "gb200", "--devices", "256", "--pp",
                     "4", "--vp", "4", "--ep", "64", "--zero", "1", "--recompute", "none", "--seq-len", "4096",
                     "--global-batch", "4096seq", "--json", *extra], capsys)


def test_plan_explain_flag_is_the_librarys(capsys: pytest.CaptureFixture[str]) -> None:
    """--recompute-modules on `plan explain` gives predict_layout's numbers, records the list in the JSON and says
    what it recomputes with the step's recompute time."""
    code, out, err = _explain(capsys, "--recompute-modules", "mla_up_proj,moe_act")
    assert code == 0, err
    doc = json.loads(out)
    want = _terms(replace(DSV3, recompute_modules=("moe_act", "mla_up_proj")))
    assert explain_terms(doc)["step_time_s"] == want["step_time_s"]
    assert explain_terms(doc)["t_recompute_s"] == want["t_recompute_s"] > 0
    assert doc["recompute_modules"] == ["moe_act", "mla_up_proj"]
    assert any(n.startswith("recompute modules (Megatron-Core --recompute-modules): moe_act, mla_up_proj")
               and f"{want['t_recompute_s']:.4g} s per step" in n for n in doc["notes"])


def test_plan_explain_bad_name_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _explain(capsys, "--recompute-modules", "mla_up_proj,attn")
    assert code == 2 and json.loads(out)["schema"] == "accelopt.error"  # _explain passes --json (uthf)
    assert "'attn' is not a Megatron-Core recompute module" in err and "core_attn" in err


def test_plan_search_applies_the_list(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan` keeps its recompute axis and applies the list to every layout it searches: recorded in the JSON, and a
    searched layout's numbers are predict_layout's with the list."""
    args = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--seq-len", "4096",
            "--global-batch", "256seq", "--top", "3", "--json"]
    code, out, err = run_main([*args, "--recompute-modules", "mlp"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["recompute_modules"] == ["mlp"]
    best = doc["best"][0]
    lay = best["layout"]
    q = LayoutQuery(model=get_model("llama3-8b"), hardware="h100-sxm", devices=8, tp=lay["tp"], pp=lay["pp"],
                    cp=lay["cp"], ep=lay["ep"], vp=lay["vp"], mbs=lay["mbs"], zero=lay["zero"],
                    recompute=lay["recompute"], sp=lay["sp"], overlap=lay["overlap"], schedule=lay["schedule"],
                    hsdp=lay["hsdp"], etp=lay["etp"], recompute_layers=lay["recompute_layers"], seq_len=4096,
                    global_batch_seqs=256, recompute_modules=("mlp",))
    assert best["step_time_s"] == pytest.approx(_terms(q)["step_time_s"], rel=1e-12)


def test_runs_file_cell_reaches_the_query() -> None:
    rows = {r["id"]: r for r in read_runs()}
    assert run_query(rows["mb2509-h100-dsv3-fp8"]).recompute_modules == ("mlp", "mla_up_proj")
    row = {**rows["mb2509-b200-dsv3-fp8"], "recompute_modules": "mla_up_proj+up_proj"}
    with pytest.raises(InputError, match="recompute_modules: 'up_proj'"):
        run_query(row)


@pytest.mark.parametrize(("mode", "mods", "beyond"), [
    ("none", ("mlp",), ("mlp",)), ("full", ("mlp", "layernorm"), ()), ("selective", ("core_attn", "mlp"), ("mlp",)),
    ("mlp", ("moe_act", "layernorm"), ("layernorm",)), ("none", ("moe", "shared_experts"), ("moe",))])
def test_modules_beyond_the_mode_follow_module_on(mode: str, mods: tuple[str, ...], beyond: tuple[str, ...]) -> None:
    """What a row says it recomputes beyond its mode is what the time and memory terms charge (memory.module_on):
    nothing under full, selective's own core_attn and the mlp mode's MLP block not twice, moe covering its shared
    experts."""
    assert modules_beyond_mode(mode, mods) == beyond
    assert recompute_text(mode, 0, beyond) == "+".join((mode, *beyond))


def test_plan_rows_say_what_is_recomputed(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`plan --recompute-modules mlp` printed 'none' in the recompute column of rows that recompute the MLP: the
    console, JSON (each row's recompute_modules) and HTML rows now say 'none+mlp' alike, and a full-recompute row
    (which redoes whole layers) 'full'."""
    monkeypatch.setenv("COLUMNS", "250")
    args = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--seq-len", "4096",
            "--global-batch", "256seq", "--top", "40", "--recompute-modules", "mlp"]
    page = tmp_path / "p.html"
    code, out, err = run_main([*args, "--json"], capsys)
    assert code == 0, err
    rows = json.loads(out)["best"]
    said = {(r["layout"]["recompute"], tuple(r["recompute_modules"])) for r in rows}
    assert ("none", ("mlp",)) in said and said <= {("none", ("mlp",)), ("selective", ("mlp",)), ("full", ())}
    code, out, err = run_main([*args, "--html", str(page)], capsys)
    assert code == 0, err
    want = [" ".join(f"{r['layout']['recompute']} {r['layout']['recompute_layers'] or ''}".split())
            + "".join(f"+{m}" for m in r["recompute_modules"]) for r in rows]  # 'full 21', 'none+mlp'
    best = out.split("best 40 by time")[1].split("Pareto front")[0]
    assert re.findall(r"│ ((?:none|selective|full)[^│]*?) *│", best) == want
    html = page.read_text().split("<h2>best 40 by time</h2>")[1].split("<h2>")[0]
    assert re.findall(r'<td class="l">((?:none|selective|full)[^<]*)</td>', html) == want


def test_plan_explain_full_says_the_modules_add_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _explain(capsys, "--recompute-modules", "mla_up_proj")
    assert code == 0, err
    assert json.loads(out)["prediction"]["recompute_modules"] == ["mla_up_proj"]
    code, out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8",
                               "--recompute", "full", "--recompute-modules", "mlp", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["prediction"]["recompute_modules"] == []
