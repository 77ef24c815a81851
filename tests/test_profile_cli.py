"""`accelopt profile` from the command line: JSON output, user files, saved workloads, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main as _run

from accelopt.workload.types import Workload

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--steps", "3", "--warmup", "1"]


def test_zoo_model_json_and_saved_workload(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wpath = tmp_path / "w.json"
    code, out, _ = _run(["profile", "mlp", *FAST, "--json", "--save-workload", str(wpath),
                         "--catalog-device", "h100-sxm"], capsys)
    assert code == 0
    d = json.loads(out)  # nothing but the JSON document on stdout
    assert d["schema"] == "accelopt.profile" and d["name"] == "mlp-tiny" and d["step_time"]["n"] == 3
    assert set(d["breakdown"]) == {"data_wait", "h2d_copy", "forward", "backward", "optimizer"}
    assert d["catalog_name"] == "h100-sxm" and d["mfu_probed"] is None
    assert d["roofline"] and d["diagnosis"]["bound"]
    assert d["memory"]["parameters_bytes"] > 0
    w = Workload.load(wpath)
    assert w.total_flops() == pytest.approx(d["flops_per_step"])


def test_user_file_tables(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.measure import profiler

    # the machine's load is not under test here: a busy machine would (rightly) withhold the verdict
    monkeypatch.setattr(profiler, "check_passes", lambda *args: None)
    code, out, _ = _run(["profile", f"{ROOT}/examples/my_model.py:build", *FAST, "--mode", "inference"], capsys)
    assert code == 0
    assert "small-convnet" in out and "roofline" in out and "verdict" in out


@pytest.mark.parametrize(("argv", "match"), [
    (["profile", "no-such-model"], "unknown"),
    (["profile", "mlp", "--mode", "eval"], "mode"),
    (["profile", "mlp", "--dtype", "int8"], "dtype"),
    (["profile", "mlp", "--device", "cuda:0"], "CUDA"),
    (["profile", "mlp", "--catalog-device", "h100-sxmm"], "h100-sxm"),
    (["profile", "mlp", "--probed", "missing.toml"], "--probed"),
    (["profile", "mlp", "--trace", "/no/such/dir/t.json"], "trace"),
    (["profile", "mlp", "--save-workload", "/no/such/dir/w.json"], "save-workload"),
    (["profile", "missing.py:build"], "does not exist"),
])
def test_bad_inputs_exit_2_with_a_fix(argv: list[str], match: str, capsys: pytest.CaptureFixture[str]) -> None:
    if "cuda:0" in argv:
        import torch

        if torch.cuda.is_available():
            pytest.skip("this machine has a CUDA GPU")
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert match in err and "fix:" in err


def test_hugging_face_config_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("transformers")
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": 1, "n_embd": 32, "n_head": 2,
           "vocab_size": 128, "n_positions": 64}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    code, out, _ = _run(["profile", str(tmp_path), "--seq-len", "16", "--batch-size", "2", *FAST, "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert d["batch_size"] == 2 and d["flops_per_step"] > 0
