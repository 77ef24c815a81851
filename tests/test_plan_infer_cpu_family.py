"""A device of kind cpu that no inference family names by glob (a probed CPU, 'vm-cpu'; a user's own CPU entry)
runs as family 'cpu' (in host memory: no host link, its workspace), not 'default', a PCIe card: `plan infer` on
a probed CPU noted 'host link 31.5 GB/s per direction' and 'runtime workspace 1 GB', and charged the input's copy
over that link, for a model that never leaves host memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.inference import load_runtimes, runtime_for

SPEC = """
[sources]
m = "measured on our box"

[[device]]
name = "{name}"
kind = "{kind}"
vendor = "Us"
peak_flop_per_s = {{ fp32 = [6e10, "m"] }}
memory_bytes = [2.5e10, "m"]
memory_bandwidth_byte_per_s = [1.5e10, "m"]
"""


def _spec(tmp_path: Path, name: str, kind: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(SPEC.format(name=name, kind=kind))
    return path


def test_an_unnamed_cpu_runs_as_family_cpu(tmp_path: Path) -> None:
    rts = load_runtimes()
    assert runtime_for(get_device(str(_spec(tmp_path, "vm-cpu", "cpu"))), rts).family == "cpu"
    assert runtime_for(get_device(str(_spec(tmp_path, "vm-card", "gpu"))), rts).family == "default"
    assert runtime_for(get_device("xeon-8480plus"), rts).family == "cpu"  # by its glob, as before


def test_plan_infer_on_a_cpu_spec_has_no_host_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "infer", "kws-dscnn", "--hardware", str(_spec(tmp_path, "vm-cpu", "cpu")),
                               "--dtype", "fp32", "--json"], capsys)
    assert code == 0, err
    text = json.dumps(json.loads(out))
    assert "host link" not in text and "family 'default'" not in text, text
    assert "family 'cpu'" in text
