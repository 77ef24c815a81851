"""`simulate run` says when a layer's data cannot fit the design's own DRAM (`dram_bytes`).

The gap: a design with dram_bytes = 1 MB ran a 1024 x 1024 x 1024 int8 GEMM (1 MiB of inputs, 1 MiB of weights and
1 MiB of outputs that must sit in DRAM while the layer runs) with nothing said: capacity is not modelled, so every
figure assumed a DRAM the design does not have. The note names the largest layer, its bytes and the capacity."""
import json
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main

TOPOLOGY = "Layer, M, N, K,\nbig, 1024, 1024, 1024,\nsmall, 8, 8, 8,\n"


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], dram_line: str, *extra: str) -> tuple[str, str]:
    design = tmp_path / "d.toml"
    design.write_text(SMALL_DESIGN_TOML + dram_line)
    topo = tmp_path / "t.csv"
    topo.write_text(TOPOLOGY)
    code, out, err = run_main(["simulate", "run", "-d", str(design), "--topology", str(topo), *extra], capsys)
    assert code == 0, err
    return out, err


def test_a_layer_over_the_designs_dram_is_said_in_json_and_on_the_console(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _run(tmp_path, capsys, "dram_bytes = 1e6\n", "--json")
    # the layer's note; the model's (its weights, 1.05 MB, over 1 MB too: ut4sim) is tested in
    # test_simulate_model_capacity.py
    notes = [n for n in json.loads(out)["notes"] if "dram_bytes" in n and n.startswith("layer ")]
    assert len(notes) == 1, json.loads(out)["notes"]
    # int8: 1024*1024 inputs + 1024*1024 weights + 1024*1024 outputs = 3,145,728 B, over 1e6 B; 1 of 2 layers
    assert "'big'" in notes[0] and "3.15 MB" in notes[0] and "1 MB" in notes[0] and "1 of 2 layers" in notes[0]
    text, _ = _run(tmp_path, capsys, "dram_bytes = 1e6\n")
    assert notes[0] in " ".join(text.split())


@pytest.mark.parametrize("dram_line", ["dram_bytes = 8e9\n", ""])
def test_no_capacity_note_when_the_layers_fit_or_no_capacity_is_given(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], dram_line: str) -> None:
    out, _ = _run(tmp_path, capsys, dram_line, "--json")
    assert not [n for n in json.loads(out)["notes"] if "dram_bytes" in n]
