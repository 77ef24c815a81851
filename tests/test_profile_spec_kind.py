"""profile with a spec of another kind than the measured device (a gpu catalog entry or probe for a cpu step):
MFU, roofs and the dtype recommendation use that spec's peaks, so the run says so on stderr and in the JSON's
diagnosis notes (ureadme2's finding: `profile mlp --catalog-device h100-sxm` on a CPU printed an H100 MFU unsaid)."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from conftest import run_main

from accelopt.measure.profiler import spec_kind_notes


def test_a_gpu_entry_for_a_cpu_step_is_noted_in_json_and_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["profile", "mlp", "--steps", "3", "--warmup", "1", "--catalog-device", "h100-sxm",
                               "--json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["diagnosis"]["notes"]
    assert notes[0].startswith("--catalog-device h100-sxm is a gpu but the step ran on cpu: MFU"), notes
    assert "--device cuda:0" in notes[0] and "catalog list --kind cpu" in notes[0]
    assert "warning: --catalog-device h100-sxm is a gpu" in " ".join(err.split())


def test_same_kind_gives_no_note_and_each_flag_is_named() -> None:
    cpu = SimpleNamespace(name="my-cpu", kind="cpu")
    gpu = SimpleNamespace(name="my-gpu", kind="gpu")
    assert spec_kind_notes("cpu", ((cpu, "--catalog-device"), (None, "--probed"))) == []
    assert spec_kind_notes("cuda:0", ((gpu, "--catalog-device"),)) == []
    notes = spec_kind_notes("cuda:1", ((gpu, "--catalog-device"), (cpu, "--probed")))
    assert len(notes) == 1 and notes[0].startswith("--probed my-cpu is a cpu but the step ran on cuda:1 (a gpu)")


def test_the_article_follows_the_kind() -> None:
    """`profile m --catalog-device my_design.toml` (a simulate export) said '... is a asic ... with a asic's peaks'."""
    asic = SimpleNamespace(name="my-npu", kind="asic")
    note, = spec_kind_notes("cpu", ((asic, "--catalog-device"),))
    assert note.startswith("--catalog-device my-npu is an asic but the step ran on cpu") and "with an asic's" in note
    fpga = SimpleNamespace(name="f", kind="fpga")
    assert spec_kind_notes("cpu", ((fpga, "--probed"),))[0].startswith("--probed f is an fpga")
