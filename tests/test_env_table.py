"""`accelopt env`'s table shows what its JSON holds that a bug report needs: torch's CPU threads (every CPU figure
depends on them) and the machine architecture were in `env --json` only."""

from __future__ import annotations

import re

import pytest
import torch

from accelopt.cli.main import main


def test_env_table_shows_threads_and_machine(capsys: pytest.CaptureFixture[str]) -> None:
    import platform

    with pytest.raises(SystemExit) as e:
        main(["env"])
    out, _ = capsys.readouterr()
    assert e.value.code == 0
    assert re.search(rf"torch threads\s*│\s*{torch.get_num_threads()}\b", out), out
    assert re.search(rf"platform\s*│.*\({re.escape(platform.machine())}\)", out), out


def test_env_says_the_estimate_meter_needs_a_catalog_entry_the_cpu_lacks(capsys: pytest.CaptureFixture[str]) -> None:
    # the estimate row read 'yes' ("from a catalog spec's tdp_w") on a machine whose only device, the CPU, maps to no
    # catalog entry: `profile` there printed energy n/a unless given --catalog-device, which the row did not say
    import json

    with pytest.raises(SystemExit) as e:
        main(["env", "--json"])
    assert e.value.code == 0
    doc = json.loads(capsys.readouterr().out)
    why = {m["name"]: m["why"] for m in doc["energy_meters"]}["estimate"]
    assert "cpu maps to no catalog entry" in why and "--catalog-device NAME" in why, why
    assert "`accelopt catalog list --kind cpu`" in why, why


def test_the_estimate_row_names_the_devices_it_serves_without_a_flag() -> None:
    from accelopt.cli.env import estimate_why
    from accelopt.hardware.detect import DetectedDevice

    gpu = DetectedDevice(torch_device="cuda:0", kind="gpu", vendor="NVIDIA", name="NVIDIA H100 80GB HBM3",
                         memory_bytes=80e9, index=0, catalog_name="h100-sxm")
    cpu = DetectedDevice(torch_device="cpu", kind="cpu", vendor="AMD", name="AMD EPYC", memory_bytes=1e9, index=None,
                         catalog_name=None)
    why = estimate_why("base", [cpu, gpu])
    assert why.startswith("base; ") and "cuda:0 (its entry h100-sxm)" in why, why
    assert "cpu maps to no catalog entry" in why and "--kind gpu" not in why, why
    only_gpu = estimate_why("base", [gpu])
    assert only_gpu == "base; `profile` uses it for cuda:0 (its entry h100-sxm) when no counter reads", only_gpu
