"""`plan --model file.py` (a local PyTorch file) said "unknown model ... (a Hugging Face Hub id is not downloaded)":
it now says what plan reads and gives the route through a captured workload, with the file's own factory."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

EXAMPLE = "examples/my_model.py"


@pytest.mark.parametrize("model", [EXAMPLE, f"{EXAMPLE}:build"])
def test_plan_python_file_points_at_profile_save_workload(model: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "--model", model, "--hardware", "h100-sxm", "--devices", "8", "--tokens",
                               "1e9"], capsys)
    text = " ".join(err.split())
    assert code == 2 and "Hugging Face Hub id" not in text
    assert "is a Python file" in text and "config.json" in text and "workload JSON" in text
    assert f"accelopt profile {EXAMPLE}:build --save-workload w.json" in text and "--model w.json" in text


def test_the_hint_names_the_file_s_own_factory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "net.py"
    f.write_text("from accelopt.workload.userfile import ModelBundle\n\ndef helper():\n    return 1\n\n"
                 "def make_bundle(batch_size: int = 8) -> ModelBundle:\n    ...\n", encoding="utf-8")
    code, _, err = run_main(["plan", "--model", str(f), "--hardware", "h100-sxm"], capsys)
    assert code == 2 and f"{f}:make_bundle --save-workload" in " ".join(err.split())


def test_plan_serve_python_file_points_at_plan_infer(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "serve", "--model", EXAMPLE, "--hardware", "h100-sxm"], capsys)
    text = " ".join(err.split())
    assert code == 2 and "Hugging Face Hub id" not in text
    assert f"accelopt plan infer {EXAMPLE}:build" in text
