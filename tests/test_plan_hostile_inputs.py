"""Bad inputs to `plan`, `plan explain` and `plan serve` that a generated sweep of every flag and every config.json
key (wrong types, NaN/Infinity, negative, huge) found ending in a traceback, a hang or a silent default: each now
exits 2 with `error:` naming the flag or key and a `fix:`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import edited_runs_csv, run_main

EXPLAIN = ["plan", "explain", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "8"]
PLAN = ["plan", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "8"]
HUGE = "99999999999999999999"  # past int64: numpy raised OverflowError


def _refused(argv: list[str], named: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(argv, capsys)
    assert "Traceback" not in out + err, err[-2000:]
    assert code == 2 and "error:" in err and "fix:" in err, (code, err[-2000:])
    assert named in err.split("fix:")[0], err


@pytest.mark.parametrize("flag", ["--hsdp", "--recompute-layers"])
def test_explain_counts_past_any_machine(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    _refused([*EXPLAIN, flag, HUGE], flag, capsys)


@pytest.mark.parametrize("flag", ["--hsdp", "--recompute-layers"])
def test_plan_axes_past_any_machine(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    _refused([*PLAN, flag, HUGE], flag, capsys)


TINY = {"model_type": "llama", "num_hidden_layers": 4, "hidden_size": 1024, "num_attention_heads": 8,
        "num_key_value_heads": 8, "intermediate_size": 4096, "vocab_size": 32000, "max_position_embeddings": 4096}
MOE = {**TINY, "model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2}
# (case, config, the key the error must name); json.dumps writes NaN and Infinity, as Python's json.loads reads them
CONFIG_EDITS: list[tuple[str, dict[str, Any], str]] = [
    ("ffn-nan", {**TINY, "intermediate_size": float("nan")}, "intermediate_size"),
    ("kv-heads-inf", {**TINY, "num_key_value_heads": float("inf")}, "num_key_value_heads"),
    ("head-dim-nan", {**TINY, "head_dim": float("nan")}, "head_dim"),
    ("positions-inf", {**TINY, "max_position_embeddings": float("inf")}, "max_position_embeddings"),
    ("window-1e19", {**TINY, "sliding_window": 10**19}, "sliding_window"),
    # named by the config's own key since the reader bounds every count it reads (usertest pass)
    ("dense-layers-past-the-model", {**MOE, "first_k_dense_replace": 10**19}, "first_k_dense_replace"),
    ("top-k-zero", {**MOE, "num_experts_per_tok": 0}, "num_experts_per_tok"),  # became top-1 silently
    ("experts-nan", {**MOE, "num_local_experts": float("nan")}, "num_local_experts"),
    ("tied-word", {**TINY, "tie_word_embeddings": "yes"}, "tie_word_embeddings"),  # bool('yes'): silently tied
    ("model-type-list", {**TINY, "model_type": ["llama"]}, "model_type"),  # str(['llama']): silently generic
]


@pytest.mark.parametrize("command", ["serve", "explain", "plan"])
@pytest.mark.parametrize(("cfg", "named"), [pytest.param(c, n, id=cid) for cid, c, n in CONFIG_EDITS])
def test_config_json_bad_value(cfg: dict[str, Any], named: str, command: str, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    argv = {"serve": ["plan", "serve", "--model", str(p), "--batch", "1"],
            "explain": ["plan", "explain", "--model", str(p), "--hardware", "h100-sxm", "--devices", "8"],
            "plan": ["plan", "--model", str(p), "--hardware", "h100-sxm", "--devices", "8"]}[command]
    _refused(argv, named, capsys)


def test_a_layer_count_past_any_model_is_refused_before_the_search(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # `plan` scanned the divisors of 10**30 layers for ever (serve and explain refused it as not fitting)
    p = tmp_path / "config.json"
    p.write_text(json.dumps({**TINY, "num_hidden_layers": 10**30}), encoding="utf-8")
    _refused(["plan", "--model", str(p), "--hardware", "h100-sxm", "--devices", "8"], "layers", capsys)


@pytest.mark.parametrize(("name", "column", "value", "named"), [
    ("published_training_runs.csv", "source", "", "source is blank"),  # IndexError in the per-source summary
    ("published_training_runs.csv", "mfu_pct", "150", "mfu_pct"),  # a utilization above the peak, accepted
    ("published_serving_runs.csv", "output_len", HUGE, "lengths"),  # numpy: maximum allowed size exceeded
    ("published_serving_runs.csv", "prompt_len", HUGE, "lengths"),  # accepted, predicted a 1e20-token prompt
])
def test_validate_runs_cell(name: str, column: str, value: str, named: str, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    p = edited_runs_csv(tmp_path, name, column, value)
    _refused(["validate", *(["--serving"] if "serving" in name else []), "--runs", str(p)], named, capsys)
