"""`probe --save X.toml` and `simulate export --out X.toml|.cfg` replaced any existing file of that name: a user's own
catalog TOML (several devices, hand-written sources) was lost without a word. Now a file is replaced only when it is
empty or the same command wrote it (its first line says so); anything else is refused before the work, and kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

CATALOG = Path(__file__).resolve().parents[1] / "examples" / "my_accelerator.toml"


@pytest.mark.parametrize("args", [
    ["probe", "--quick", "--save", "{f}"],
    ["simulate", "export", "-d", "nvdla-512", "--dram-bytes", "8e9", "--out", "{f}"],
])
def test_a_users_catalog_file_is_refused_and_kept(args: list[str], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "my_accelerator.toml"
    mine.write_text(CATALOG.read_text(encoding="utf-8"), encoding="utf-8")
    before = mine.read_bytes()
    code, _, err = run_main([a.format(f=mine) for a in args], capsys)
    assert code == 2 and "fix:" in err and "not written by" in err, err
    assert mine.read_bytes() == before


def test_a_cfg_that_is_not_ours_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "scale.cfg"
    cfg.write_text("[architecture_presets]\nArrayHeight: 32\n", encoding="utf-8")
    code, _, err = run_main(["simulate", "export", "-d", "tpu-v1", "--out", str(cfg)], capsys)
    assert code == 2 and "not written by" in err, err
    assert cfg.read_text(encoding="utf-8") == "[architecture_presets]\nArrayHeight: 32\n"


def test_a_rerun_replaces_its_own_export_and_an_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.toml"
    out.write_text("", encoding="utf-8")
    args = ["simulate", "export", "-d", "nvdla-512", "--dram-bytes", "8e9", "--out", str(out)]
    assert run_main(args, capsys)[0] == 0
    assert run_main(args, capsys)[0] == 0  # its own file
    assert out.read_text(encoding="utf-8").startswith("# Written by `accelopt simulate export`")


@pytest.mark.parametrize("option", ["--save-workload", "--trace"])
def test_profile_outputs_spare_a_model_file(option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`profile ... --save-workload my_model.py` (or --trace) replaced the model file with JSON after the run."""
    model = tmp_path / "my_model.py"
    model.write_text("import torch\n", encoding="utf-8")
    code, _, err = run_main(["profile", "mlp", "--steps", "3", "--warmup", "0", option, str(model)], capsys)
    assert code == 2 and "is not a JSON file" in err, err
    assert model.read_text(encoding="utf-8") == "import torch\n"


def test_profile_outputs_replace_their_own_json(tmp_path: Path) -> None:
    from accelopt.errors import InputError
    from accelopt.userio import refuse_non_json_file

    own = tmp_path / "w.json"
    own.write_text('{"name": "mlp", "meta": {}, "ops": []}', encoding="utf-8")
    refuse_non_json_file(own, "--save-workload", "workload.json")  # JSON: a rerun's own file
    (tmp_path / "empty.json").write_text("", encoding="utf-8")
    refuse_non_json_file(tmp_path / "empty.json", "--trace", "trace.json")
    with pytest.raises(InputError):
        refuse_non_json_file(CATALOG, "--trace", "trace.json")
