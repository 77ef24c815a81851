"""`plan serve --weight-dtype int4 --int4-group-size 7` (a group that does not divide llama3-8b's layer inputs, 4096
and 14336) and `--int4-group-size 100000` (wider than every layer) ran, exit 0, predicting a checkpoint that cannot
exist: an int4 group runs along a layer's input, so each input width is a whole number of groups (vLLM's AWQ loader
refuses others). Both are refused now (exit 2, naming the model's widths and the fix), and a serving runs file's
int4_group_size cell by the same check (serving.int4_group_problem). The per-channel spelling, one layer's width
(the bundled TensorRT-LLM Jetson rows' 4096), and AWQ/GPTQ's 128 still run."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import run_main

_SERVE = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1", "--prompt", "128",
          "--output", "16", "--weight-dtype", "int4"]


@pytest.mark.parametrize(("group", "why"), [("7", "does not divide the input width"),
                                            ("100000", "is larger than every input width")])
def test_a_group_no_checkpoint_can_have_is_refused(group: str, why: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*_SERVE, "--int4-group-size", group], capsys)
    text = " ".join((out + err).split())
    assert code == 2, text
    assert f"--int4-group-size {group} {why} of llama3-8b's int4 layers" in text
    assert "hidden 4096, attention output 4096, MLP 14336" in text
    assert "one that divides 2048 (e.g. 128, AWQ/GPTQ's default)" in text and "per-channel" in text


@pytest.mark.parametrize("group", ["128", "32", "4096", "14336"])
def test_a_divisor_or_a_layer_width_runs(group: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main([*_SERVE, "--int4-group-size", group], capsys)
    assert code == 0, err


def test_only_the_int4_layers_widths_count(capsys: pytest.CaptureFixture[str]) -> None:
    """--expert-weight-dtype int4 on bf16 weights: the routed experts' widths (hidden, expert MLP), not the rest."""
    from accelopt.predict.serving import int4_input_widths
    from accelopt.predict.serving_moe import MoELayout
    from accelopt.workload.presets import get_model

    cfg = get_model("mixtral-8x7b")
    assert int4_input_widths(cfg, "bf16", MoELayout(expert_weight_dtype="int4")) == {"hidden": 4096,
                                                                                      "expert MLP": 14336}
    assert int4_input_widths(cfg, "bf16") == {}


def test_a_runs_file_row_with_such_a_group_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict.serving_validation import read_serving_runs

    rows, sources = read_serving_runs()
    base = dict(next(r for r in rows if r["int4_group_size"] and r["weight_dtype"] == "int4"))
    base["source"] = sources.get(base["source"], base["source"])
    for group, why in (("7", "does not divide"), ("100000", "is larger than every input width")):
        path = tmp_path / f"runs{group}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(base))
            w.writeheader()
            w.writerow({**base, "id": "my-int4-run", "int4_group_size": group})
        code, out, err = run_main(["validate", "--serving", "--runs", str(path)], capsys)
        text = " ".join((out + err).split())
        assert code == 2, text
        assert f"serving run 'my-int4-run': int4_group_size = '{group}' {why}" in text
        assert "per-channel" in text and "in the int4_group_size cell of row 'my-int4-run'" in text


def test_a_group_that_does_not_split_over_the_tp_ranks_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """llama2-7b's MLP input, 11008, is 86 groups of 128, but 1376 per rank at --tp 8 is not a whole number of them:
    vLLM refuses the AWQ checkpoint there ('This can be caused by too large tensor parallel size'); tp 2 splits it
    into 43 groups per rank and runs."""
    base = ["plan", "serve", "--model", "llama2-7b", "--hardware", "h100-sxm", "--batch", "1", "--prompt", "128",
            "--output", "16", "--weight-dtype", "int4", "--int4-group-size", "128"]
    code, out, err = run_main([*base, "--tp", "8"], capsys)
    text = " ".join((out + err).split())
    assert code == 2, text
    assert ("--int4-group-size 128 does not divide the input width per tensor-parallel rank of llama2-7b's int4 "
            "row-parallel layers at --tp 8 (attention output 512, MLP 1376)") in text
    assert "give a smaller --tp, or a group size that divides 32" in text
    code, _out, err = run_main([*base, "--tp", "2"], capsys)
    assert code == 0, err


def test_the_suggested_group_also_splits_over_the_tp_ranks(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A group that divides no full width, at --tp 2: the fix named 'a group size that divides 16' (the full widths'
    gcd: 256, 256, 688) though 16 does not divide the MLP's 344 per rank, so following it hit the per-rank refusal.
    The suggestion now divides the per-rank widths too (gcd 256, 256, 688, 128, 344 = 8), and 8 runs."""
    model = tmp_path / "tiny.json"
    model.write_text('{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 256, '
                     '"intermediate_size": 688, "num_attention_heads": 4, "num_key_value_heads": 4, '
                     '"num_hidden_layers": 2, "vocab_size": 1000, "max_position_embeddings": 1024}')
    base = ["plan", "serve", "--model", str(model), "--hardware", "a100-sxm-80gb", "--batch", "1", "--prompt", "64",
            "--output", "8", "--weight-dtype", "int4", "--tp", "2"]
    code, out, err = run_main([*base, "--int4-group-size", "128"], capsys)
    text = " ".join((out + err).split())
    assert code == 2, text
    assert "one that divides 8 (e.g. 8)" in text
    code, _out, err = run_main([*base, "--int4-group-size", "8"], capsys)
    assert code == 0, err
