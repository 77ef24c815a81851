"""A new user's findings on this session's `plan` / `plan explain` flags (--offload-layers, --edge-stage-layers with
--vp, --collectives on a switchless node, the JSON of the setup flags and of the lines printed under the tables)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

EXPLAIN = ("plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64", "--tp", "2",
           "--pp", "4")  # 32 layers over 4 stages: 8 per stage


def test_offload_layers_beyond_a_stage_is_an_error_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """--offload-layers counts layers per stage; 9 of a stage's 8 was accepted and clipped to 8 without a word."""
    code, _, err = run_main([*EXPLAIN, "--offload-layers", "9"], capsys)
    assert code == 2 and "fix:" in err and "Traceback" not in err, err
    assert "--offload-layers 9 exceeds the 8 layers of a pipeline stage" in err
    assert "between 0 (none) and 8" in err
    code, out, err = run_main([*EXPLAIN, "--offload-layers", "8", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["offload_layers"] == 8


def test_edge_stage_layers_help_matches_the_code(capsys: pytest.CaptureFixture[str]) -> None:
    """The help said --edge-stage-layers 'needs vp = 1'; the code (and the Llama 3 405B rows) take vp > 1 when vp
    divides the middle stages' layers. `plan explain` accepts it, and the help no longer says otherwise."""
    from accelopt.cli.plan import EDGE_HELP

    code, _, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "48",
                             "--pp", "6", "--vp", "2", "--edge-stage-layers", "4", "--tp", "8",
                             "--global-batch", "96"], capsys)
    assert code in (0, 2) and "invalid" not in err, err  # 4 + 4 x 6 + 4 layers: vp 2 divides 6
    assert "vp = 1" not in EDGE_HELP and "vp must divide" in EDGE_HELP


def _probe(tmp_path: Path) -> Path:
    from test_plan_layouts import _probe_file

    return _probe_file(tmp_path, p=4)[0]


def test_measured_link_share_of_a_smaller_group_on_a_switchless_node(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The measured-link line printed the probe's whole bus bandwidth; on gaudi2 (no switch) a tp-2 group reaches
    one pair link of it, 1/3 of a 4-rank probe's busbw (comm.measured_peer_bw). The note says so, in the JSON too."""
    from accelopt.predict.comm import load_measured

    path = _probe(tmp_path)
    bw = load_measured(path).bandwidth_byte_per_s
    args = ["plan", "explain", "--model", "gpt3-1.3b", "--hardware", "gaudi2", "--devices", "8", "--tp", "2",
            "--collectives", str(path)]
    code, out, err = run_main([*args, "--json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    share = [n for n in notes if "no switch" in n]
    assert len(share) == 1 and f"2 devices {bw / 3 / 1e9:.4g} GB/s" in share[0], notes
    code, out, err = run_main(args, capsys)
    assert code == 0 and "no switch" in out, err
    # a switched domain (NVSwitch): every group gets all of it, no such note
    code, out, err = run_main([*args[:5], "h100-sxm", *args[6:], "--json"], capsys)
    assert code == 0 and not [n for n in json.loads(out)["notes"] if "no switch" in n], err
    # plan's search carries the same note in its JSON notes
    code, out, err = run_main(["plan", "--model", "gpt3-1.3b", "--hardware", "gaudi2", "--devices", "8", "--top", "1",
                               "--collectives", str(path), "--json"], capsys)
    assert code == 0 and any("no switch" in n for n in json.loads(out)["notes"]), err


def test_plan_json_carries_the_printed_notes_and_setup_flags(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan` printed the uneven-batch line under its tables but its JSON had no such field, nor the setup flags
    (--fp8-params, --offload-layers, ...) that changed the figures."""
    args = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "16", "--global-batch", "1000",
            "--dtype", "fp8", "--fp8-params", "--offload-layers", "2", "--top", "3"]
    code, table, err = run_main(args, capsys)
    assert code == 0, err
    code, out, err = run_main([*args, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["fp8_params"] is True and doc["offload_layers"] == 2 and doc["edge_stage_layers"] is None
    uneven = [n for n in doc["notes"] if "uneven global batch" in n]
    assert uneven and all(n.split(":")[0] in table for n in uneven)
    assert "fp8 parameters" in table and "2 layers/stage offloaded" in table
