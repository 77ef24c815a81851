"""What a recipe's model_source.inputs records: the files the model's code opens through Python (the 'open' audit
event, PEP 578). A file a native library opens itself raises no such event, so a weights file a factory loads with
safetensors' load_file (Rust's std::fs::File) goes unrecorded and `--apply` without MODEL does not notice it changed
(found 2026-12-06, uttrial4). Kept here as a strict xfail, the gap said in README's optimize section."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from accelopt.optimize.recipe import FilesRead  # noqa: E402


def test_a_csv_read_through_python_is_recorded(tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_text("1,2\n")
    with FilesRead() as reads:
        data.read_text()
    assert str(data.resolve()) in reads.inputs()


@pytest.mark.xfail(strict=True, reason="a file a native library opens (safetensors' Rust reader) raises no Python "
                   "'open' audit event, so FilesRead cannot see it (README: optimize, model_source inputs)")
def test_a_safetensors_file_the_factory_loads_is_recorded(tmp_path: Path) -> None:
    st = pytest.importorskip("safetensors.torch")
    weights = tmp_path / "w.safetensors"
    st.save_file({"w": torch.zeros(4)}, str(weights))
    with FilesRead() as reads:
        st.load_file(str(weights))
    assert str(weights.resolve()) in reads.inputs()
