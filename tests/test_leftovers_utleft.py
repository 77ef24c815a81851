"""Leftovers of earlier sessions (s34, helper utleft): each test failed before its fix."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import run_main, write_hf_config

from accelopt.errors import InputError, UnreadableNumberError
from accelopt.units import parse_count
from accelopt.workload.presets import get_model


@pytest.mark.parametrize("typed", ["negative", "too large", "very negative"])
def test_a_budget_word_is_not_taken_for_a_negative_or_too_large_number(typed: str,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`--budget-usd negative` kept parse_count's generic 'cannot read' message: plan matched the words 'negative'
    and 'too large' in that message's text, and this text held them."""
    code, _, err = run_main(["plan", "--model", "llama3-8b", "--budget-usd", typed], capsys)
    assert code == 2 and f"--budget-usd {typed!r} is not a number" in err and "20k or 1.5M" in err, err


@pytest.mark.parametrize(("typed", "problem"), [("-5", "is negative"), ("1e400", "is too large to be a number")])
def test_a_negative_or_infinite_budget_keeps_its_own_message(typed: str, problem: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "--model", "llama3-8b", "--budget-usd", typed], capsys)
    assert code == 2 and f"--budget-usd {typed!r} {problem}" in err and "is not a number" not in err, err
    assert "7B" not in err, err  # a budget's examples are dollars, not parse_count's counts (final read, s34)


def test_parse_count_says_by_its_class_which_refusal_it_is() -> None:
    with pytest.raises(UnreadableNumberError):
        parse_count("lots", "--tokens")
    for text in ("-5", "1e400"):
        with pytest.raises(InputError) as e:
            parse_count(text, "--tokens")
        assert not isinstance(e.value, UnreadableNumberError), text


def test_a_failing_user_model_reads_its_first_batch_once_for_the_fix() -> None:
    """The fix of a model that raised read the first batch once per hint (the dict-inputs one, then the arity one):
    batches() ran twice on the error path, a generator building its batch each time. Both hints still show."""
    torch = pytest.importorskip("torch")
    from accelopt.workload.usercode import ModelCodeError, user_call
    from accelopt.workload.userfile import ModelBundle

    class TwoInputs(torch.nn.Module):
        def forward(self, x: object, mask: object) -> object:
            return x

    calls = []

    def batches() -> object:
        calls.append(1)
        return iter([({"input_ids": torch.zeros(1, 4)}, torch.zeros(1))])

    def boom(*_: object) -> None:
        raise TypeError("forward() missing 1 required positional argument: 'mask'")

    bundle = ModelBundle(name="m", model=TwoInputs(), batches=batches, batch_size=1,
                         loss_fn=torch.nn.functional.mse_loss)
    with pytest.raises(ModelCodeError) as e:
        user_call(bundle, "during its train step", boom)
    assert len(calls) == 1, calls
    assert "yields the inputs as a dict" in e.value.fix and "requires 2 (x, mask)" in e.value.fix, e.value.fix


# google/gemma-2-9b config.json (sizes) without either soft-capping key
_GEMMA2_9B_NO_CAPS = {
    "model_type": "gemma2", "hidden_size": 3584, "intermediate_size": 14336, "num_hidden_layers": 42,
    "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 256, "vocab_size": 256000,
    "max_position_embeddings": 8192, "sliding_window": 4096, "hidden_activation": "gelu_pytorch_tanh",
    "query_pre_attn_scalar": 256}


def test_gemma2_without_the_attention_cap_gets_the_class_default(tmp_path: Path) -> None:
    """Gemma2Config's attn_logit_softcapping is 50.0 (transformers @008e574 models/gemma2/configuration_gemma2.py):
    a config without the key was read with no cap (so no note, and the default cuDNN fused kernel that does not take
    one), while its final_logit_softcapping 30.0 was filled."""
    cfg = get_model(str(write_hf_config(tmp_path, "g2", _GEMMA2_9B_NO_CAPS)))
    assert cfg.attn_logit_softcap == 50.0
    (note,) = [n for n in cfg.config_defaults if "leaves out" in n and "softcapping" in n]
    assert "final_logit_softcapping 30, attn_logit_softcapping 50" in note and "Gemma2Config" in note, note
    assert [n for n in cfg.config_defaults if n.startswith("attn_logit_softcapping 50: ")]


def test_gemma2_with_a_null_attention_cap_has_none(tmp_path: Path) -> None:
    cfg = get_model(str(write_hf_config(tmp_path, "g2", {**_GEMMA2_9B_NO_CAPS, "attn_logit_softcapping": None})))
    assert cfg.attn_logit_softcap is None
    assert not [n for n in cfg.config_defaults if "attn_logit_softcapping" in n], cfg.config_defaults


_DSV3_CLASS_KEYS = ("n_routed_experts", "num_experts_per_tok", "moe_intermediate_size", "n_shared_experts",
                    "first_k_dense_replace", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim",
                    "v_head_dim", "intermediate_size")


@pytest.mark.parametrize("left_out", [*[(k,) for k in _DSV3_CLASS_KEYS], _DSV3_CLASS_KEYS])
def test_deepseek_v3_without_a_key_is_read_as_deepseekv3config_builds_it(left_out: tuple[str, ...],
                                                                          tmp_path: Path) -> None:
    """deepseek-ai/DeepSeek-V3's config.json less keys whose DeepseekV3Config defaults (transformers @008e574
    models/deepseek_v3/configuration_deepseek_v3.py) are its published values: the same model as the full file, with
    a note naming each default. Before: without n_routed_experts refused ('num_experts_per_tok = 8 with one expert'),
    without num_experts_per_tok top-1, without kv_lora_rank multi-head attention, without q_lora_rank uncompressed
    queries, without a head width refused, without intermediate_size 4 x hidden."""
    from hf_configs import DEEPSEEK_V3

    (tmp_path / "full").mkdir()
    (tmp_path / "less").mkdir()
    full = get_model(str(write_hf_config(tmp_path / "full", "dsv3", DEEPSEEK_V3)))
    less = get_model(str(write_hf_config(tmp_path / "less", "dsv3",
                                         {k: v for k, v in DEEPSEEK_V3.items() if k not in left_out})))
    assert dataclasses.replace(less, config_defaults=full.config_defaults, source=full.source) == full
    notes = " ".join(n for n in less.config_defaults if "DeepseekV3Config" in n)
    for key in left_out:
        assert f"leaves out {key} " in notes or f", {key} " in notes, (key, notes)


def test_a_null_kv_lora_rank_fills_no_mla_width(tmp_path: Path) -> None:
    """A present null is the config's: nothing filled, and the widths it gave are named as not applied."""
    from hf_configs import DEEPSEEK_V3

    m = get_model(str(write_hf_config(tmp_path, "dsv3", {**DEEPSEEK_V3, "kv_lora_rank": None})))
    assert m.mla is None and not [n for n in m.config_defaults if "kv_lora_rank" in n]


def test_qwen3_moe_naming_its_experts_but_not_its_top_k_gets_the_class_top_k(tmp_path: Path) -> None:
    """Qwen3MoeConfig's num_experts_per_tok 8 (transformers @008e574): a config giving num_experts 128 without it was
    read as top-1 routing with a note (the class's count is filled only when no count is named)."""
    from conftest import QWEN3_30B_A3B

    m = get_model(str(write_hf_config(tmp_path, "q3", {k: v for k, v in QWEN3_30B_A3B.items()
                                                        if k != "num_experts_per_tok"})))
    assert (m.experts, m.top_k) == (128, 8)
    assert [n for n in m.config_defaults if "leaves out num_experts_per_tok 8" in n and "Qwen3MoeConfig" in n]


def test_the_optimize_page_prints_the_recommended_accuracy_as_the_table() -> None:
    """The page's key figure 'recommended accuracy' read 97.2% (fmt_pct, one decimal) where the table's quality
    cell read 97.22% (350 of 360 digits test samples)."""
    pytest.importorskip("torch")
    from accelopt.optimize.results import OptimizeResult, Quality, VariantResult
    from accelopt.optimize.runner import recommend
    from accelopt.report.figures import fmt, key_figures
    from accelopt.report.html import render_html
    from accelopt.report.optimize_view import quality_text

    base = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0,
                         step_time_p50_s=1.0e-3, quality=Quality(metric="accuracy", value=350 / 360, worse_by=0.0,
                                                                 within_tolerance=True))
    result = OptimizeResult(name="digits", mode="inference", device="cpu", dtype="fp32", batch_size=64,
                            metric="accuracy", higher_is_better=True, quality_tolerance=0.5,
                            quality_tolerance_unit="points", variants=[base])
    result.recommendation = recommend(result)
    cell = quality_text(base, result)
    (fig,) = [f for f in key_figures("optimize", result) if f.label == "recommended accuracy"]
    assert cell == fmt(fig.value, fig.unit) == "97.22%"
    page = render_html("optimize", result, title="t", argv=["optimize"])
    assert ">97.22%<" in page and ">97.2%<" not in page


def test_simulate_labels_say_what_the_cycles_and_the_latency_are(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """simulate run's layer column 'cycles' held the compute cycles alone, beside a total line whose 'cycles' count
    the stalls too (and the page's column the same); its latency was not labelled an estimate on the console, the
    page's totals or its key figure, where sweep's 'lowest latency' is, nor said what it includes."""
    import re

    from conftest import SMALL_DESIGN_TOML

    from accelopt.report.figures import key_figures

    (tmp_path / "d.toml").write_text(SMALL_DESIGN_TOML)
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 64, 32, 48,\ng2, 128, 64, 64,\n")
    page = tmp_path / "run.html"
    argv = ["simulate", "run", "-d", str(tmp_path / "d.toml"), "--topology", str(tmp_path / "g.csv")]
    code, out, err = run_main([*argv, "--html", str(page)], capsys)
    assert code == 0, err
    code, doc, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    data = json.loads(doc)
    tot = data["totals"]
    assert tot["compute_cycles"] + tot["stall_cycles"] == tot["total_cycles"]
    flat = " ".join(out.split())
    assert re.search(r"┃ layer +┃ +MxNxK ┃ rep ┃ compute cycles ┃ stall ┃", out), out
    assert (f"{tot['total_cycles']:,.0f} cycles ({tot['compute_cycles']:,.0f} compute + "
            f"{tot['stall_cycles']:,.0f} stall), latency* ") in flat, flat
    assert "latency = total cycles / clock (compute + stall cycles of the layers listed" in flat, flat
    text = page.read_text()
    assert "<th class=\"\">compute cycles" in text and "latency (s, <span" not in text
    assert re.search(r"latency \(s, estimate\)", text), text
    (lat,) = [f for f in key_figures("simulate-run", data) if f.label == "latency"]
    assert lat.estimate


@pytest.mark.parametrize(("extra", "said"), [
    ({"transformers_version": "4.42.0.dev0"}, "written by transformers 4.42.0.dev0 (its transformers_version), "
                                              "which reads it: pip install 'transformers>=4.42.0'"),
    ({"transformers_version": "4.33.1", "auto_map": {"AutoConfig": "configuration_deepseek.DeepseekV3Config"}},
     "written by transformers 4.33.1 with its own modelling code (auto_map, the Hub's trust_remote_code"),
    ({"transformers_version": "4.27.4"}, None), ({}, None)])
def test_an_unknown_model_type_names_the_transformers_that_reads_it(extra: dict[str, object], said: str | None,
                                                                    tmp_path: Path) -> None:
    """The fix said only 'upgrade transformers' (the dev venv holds 4.31.0: llm-analysis 0.2.2 pins huggingface-hub
    < 0.15, which transformers 4.32.0 and later do not take); a config written by a newer release names it."""
    from types import SimpleNamespace

    from accelopt.workload.hf import _unknown_type_fix

    tf = SimpleNamespace(__version__="4.31.0", models=SimpleNamespace(auto=SimpleNamespace(
        configuration_auto=SimpleNamespace(CONFIG_MAPPING=dict.fromkeys(("llama", "gpt2"))))))
    fix = _unknown_type_fix(tf, "gemma2", tmp_path / "config.json", {"model_type": "gemma2", **extra})
    if said is None:
        assert "written by" not in fix, fix
    else:
        assert said in fix, fix


def test_v100_holds_32_gib() -> None:
    """The V100 32 GB was stored as 32e9 B: nvidia-smi prints memory.total 32768 MiB under driver 525.105.17
    (Wan-Video/Wan2.1#5; akash-network/provider-configs#90 for the PCIe board), 32 GiB = 34,359,738,368 B."""
    from accelopt.hardware.catalog import get_device

    v100 = get_device("v100-sxm")
    assert v100.memory_bytes == 32768 * 2**20


# Capacities still stored as a decimal figure (a multiple of 1e9 or 1e6 that no whole number of MiB is), each with
# why no MiB figure replaces it (checked s34, utleft): a new one must say why, or be stored as the device reports it.
DECIMAL_CAPACITIES = {
    "groq-lpu": "230 MB of on-die SRAM, as Groq prints it; no driver-reported figure found",
    "tt-wormhole-n150": "12 GB GDDR6 as Tenstorrent prints it; no tt-smi printout of it found",
    "qualcomm-ai100-pro": "32 GB LPDDR4x as Qualcomm prints it; no qaic-util printout found",
    "apple-m4-ane": "16 GB unified memory shared with the CPU, as Apple prints it (not the ANE's own)",
    "xeon-8480plus": "4 TB: the most memory the socket supports (Intel ARK), not a device's",
    "epyc-9654": "6 TB: the most memory the socket supports (AMD), not a device's",
    "stratix10-nx": "16 GB HBM2 as Intel's product brief prints it; no tool printout found",
    "versal-vc1902": "8 GB DDR4 of the VCK190 board as AMD prints it",
    "tpu-v5e": "16 GB HBM2 as Google's v5e page prints it; no memory_stats bytes_limit of a v5e found",
    "edge-tpu": "8 MB of on-chip SRAM as Coral prints it",
}


def test_every_decimal_catalog_capacity_is_named_with_why() -> None:
    from accelopt.hardware.catalog import default_catalog

    decimal = {s.name for s in default_catalog()
               if s.memory_bytes and s.memory_bytes % 2**20 and not s.memory_bytes % 1e6}
    assert decimal == set(DECIMAL_CAPACITIES), decimal ^ set(DECIMAL_CAPACITIES)


def test_simulate_sweep_labels_its_latency_column_an_estimate(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """sweep's key figure 'lowest latency' was an estimate while its table's latency column, on the console and
    the page, carried no estimate mark beside 'energy*' and 'TOPS/W*'."""
    import re

    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 30, 50, 70,\n")
    page = tmp_path / "sweep.html"
    code, out, err = run_main(["simulate", "sweep", "--topology", str(tmp_path / "g.csv"), "--rows", "64", "--cols",
                               "64", "--sram-kib", "64", "--html", str(page)], capsys)
    assert code == 0, err
    assert re.search(r"┃ +latency\* ┃ +energy\* ┃", out), out
    assert "latency = total cycles / clock" in " ".join(out.split())
    assert re.search(r"<th class=\"\">latency<span class=\"est\">estimate</span>", page.read_text())
