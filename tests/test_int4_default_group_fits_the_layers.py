"""`plan serve --weight-dtype int4` without --int4-group-size used the [serving.*] table's default group, 128, without
the check a given --int4-group-size gets: llama2-7b at --tp 8 (MLP input 1376 per rank, not a whole number of
128-groups) ran, exit 0, predicting a checkpoint vLLM's AWQ/GPTQ loaders refuse, while `--int4-group-size 128`, the
same group, exited 2. The default is checked now by the same check (serving_plan.check_int4_group ->
serving.int4_group_problem), its message naming it as the default and the flag that replaces it; a serving runs
file's empty int4_group_size cell likewise."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import run_main

_SERVE = ["plan", "serve", "--hardware", "h100-sxm", "--batch", "1", "--prompt", "128", "--output", "16",
          "--weight-dtype", "int4"]


def test_the_default_group_that_does_not_split_over_the_tp_ranks_is_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*_SERVE, "--model", "llama2-7b", "--tp", "8"], capsys)
    text = " ".join((out + err).split())
    assert code == 2, text
    assert ("the default int4 group size 128 (default used: int4_group_size of the [serving.nvidia-hopper] table, "
            "AutoAWQ / GPTQ's default; --int4-group-size was left out) does not divide the input width per "
            "tensor-parallel rank of llama2-7b's int4 row-parallel layers at --tp 8 (attention output 512, MLP 1376)"
            ) in text
    assert "give a smaller --tp, or a group size that divides 32 (e.g. 32), as --int4-group-size N" in text
    # the explicit flag with the same group gets the same problem, under its own name
    code, out, err = run_main([*_SERVE, "--model", "llama2-7b", "--tp", "8", "--int4-group-size", "128"], capsys)
    text = " ".join((out + err).split())
    assert code == 2 and "--int4-group-size 128 does not divide the input width per tensor-parallel rank" in text
    code, _out, err = run_main([*_SERVE, "--model", "llama2-7b", "--tp", "2"], capsys)
    assert code == 0, err


def test_the_default_group_that_does_not_divide_a_layer_is_refused(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A model whose MLP input, 688, is not a whole number of 128-groups, at tp 1."""
    model = tmp_path / "tiny.json"
    model.write_text('{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 256, '
                     '"intermediate_size": 688, "num_attention_heads": 4, "num_key_value_heads": 4, '
                     '"num_hidden_layers": 2, "vocab_size": 1000, "max_position_embeddings": 1024}')
    code, out, err = run_main([*_SERVE, "--model", str(model)], capsys)
    text = " ".join((out + err).split())
    assert code == 2, text
    assert "the default int4 group size 128 (default used:" in text
    assert "does not divide the input width of" in text and "MLP 688" in text
    code, _out, err = run_main([*_SERVE, "--model", str(model), "--int4-group-size", "16"], capsys)
    assert code == 0, err


def test_a_runs_file_row_with_an_empty_group_is_checked_with_the_default(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict.serving_validation import read_serving_runs

    rows, sources = read_serving_runs()
    base = dict(next(r for r in rows if r["id"] == "gptfast-a100q-7b-int4g32"))
    base["source"] = sources.get(base["source"], base["source"])
    path = tmp_path / "runs.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(base))
        w.writeheader()
        w.writerow({**base, "id": "my-int4-tp8", "tp": "8", "int4_group_size": ""})
    code, out, err = run_main(["validate", "--serving", "--runs", str(path)], capsys)
    text = " ".join((out + err).split())
    assert code == 2, text
    assert ("serving run 'my-int4-tp8': int4_group_size = '' is empty, so the default group 128 (int4_group_size "
            "of the [serving.nvidia-ampere] table, AutoAWQ / GPTQ's default) is used, and it does not divide the "
            "input width per tensor-parallel rank") in text
    assert "in the int4_group_size cell of row 'my-int4-tp8'" in text
