"""`accelopt profile my_llama`, run beside a folder my_llama/ holding a Hugging Face config.json, said "unknown
model 'my_llama'" with the zoo's names as the fix: only a name with a '/' (or ending .py/.json) was taken as a
path. A bare folder name that is no zoo model or built-in example now loads the folder's config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accelopt.cli.profile import _load_bundle

pytest.importorskip("transformers")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hf_tiny_llama"


def test_a_bare_folder_name_in_the_working_directory_is_a_model_path(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "my_llama")
    monkeypatch.chdir(tmp_path)
    bundle = _load_bundle("my_llama", size=None, batch_size=2, seq_len=8)
    assert bundle.batch_size == 2 and sum(p.numel() for p in bundle.model.parameters()) > 0


def test_a_zoo_name_keeps_its_meaning_beside_a_folder_of_that_name(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "mlp")
    monkeypatch.chdir(tmp_path)
    bundle = _load_bundle("mlp", size=None, batch_size=2, seq_len=None)
    assert "llama" not in type(bundle.model).__name__.lower()
