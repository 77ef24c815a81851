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


@pytest.mark.parametrize(("suffix", "edit"), [
    # the export's own note: 'add tdp_w = [WATTS, "source"] to the [[device]] table' (its last table)
    (".toml", lambda t: t + 'tdp_w = [75, "our board measurement"]\n'),
    (".toml", lambda t: t.replace('name = "nvdla-512"', 'name = "nvdla-512-ours"')),
    (".cfg", lambda t: t.replace("ArrayHeight", "ArrayHeight ")),
])
def test_an_export_edited_since_is_kept(suffix: str, edit: object, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A rerun of `simulate export` replaced its own file though the user had edited it since (ut3io, 2026-12-06):
    the tdp_w the export's note says to add was lost without a word. The file's accelopt-sha256 line tells."""
    out = tmp_path / f"d{suffix}"
    args = ["simulate", "export", "-d", "nvdla-512", "--out", str(out)]
    if suffix == ".toml":
        args += ["--dram-bytes", "8e9"]
    assert run_main(args, capsys)[0] == 0
    edited = edit(out.read_text(encoding="utf-8"))  # type: ignore[operator]
    assert edited != out.read_text(encoding="utf-8")
    out.write_text(edited, encoding="utf-8")
    code, _, err = run_main(args, capsys)
    text = " ".join(err.split())
    assert code == 2 and "but it was edited since" in text and "move that file aside" in text, text
    assert out.read_text(encoding="utf-8") == edited


def test_an_export_edited_and_loaded_still_loads_and_a_file_without_digest_is_replaced(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The digest line is a comment the catalog reads past; a file written before it (no line) is replaced as before."""
    out = tmp_path / "d.toml"
    args = ["simulate", "export", "-d", "nvdla-512", "--dram-bytes", "8e9", "--out", str(out)]
    assert run_main(args, capsys)[0] == 0
    assert "# accelopt-sha256: " in out.read_text(encoding="utf-8")
    assert run_main(["catalog", "show", str(out)], capsys)[0] == 0
    old = "".join(ln for ln in out.read_text(encoding="utf-8").splitlines(keepends=True)
                  if not ln.startswith("# accelopt-sha256:"))
    out.write_text(old + "# a note of mine\n", encoding="utf-8")
    assert run_main(args, capsys)[0] == 0
    assert "a note of mine" not in out.read_text(encoding="utf-8")


def test_a_probe_spec_edited_since_is_kept(tmp_path: Path) -> None:
    from accelopt.errors import InputError
    from accelopt.userio import refuse_foreign_file, with_digest

    spec = tmp_path / "gpu.toml"
    text = with_digest("# Measured spec of cpu (cpu) written by `accelopt probe`.\n[[device]]\nname = \"x\"\n")
    spec.write_text(text, encoding="utf-8")
    refuse_foreign_file(spec, "--save", "accelopt probe", "my-gpu.toml")  # as written: a rerun may replace it
    spec.write_text(text + 'price_usd_per_hour = [1.2, "our invoice"]\n', encoding="utf-8")
    with pytest.raises(InputError, match="edited since"):
        refuse_foreign_file(spec, "--save", "accelopt probe", "my-gpu.toml")
