"""`plan explain` says why its cost, energy and carbon read n/a, in JSON and on the console, as `plan` does (a user
trial, uttrialC, 2026-12-06): on a spec TOML with no price_usd_per_hour and no tdp_w, `plan explain --json` gave
cost_usd, energy_j and carbon_kg null with no note saying why (the console's one-line '(n/a = no catalog price or
TDP)' only), where `plan --json` carries "cost (est.) is n/a on my-gpu: no price per device-hour ..."."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import USER_GPU, run_main


@pytest.mark.parametrize("hardware", ["own", "h100-sxm"])
def test_explain_says_why_cost_and_energy_are_na(hardware: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "mygpu.toml"
    spec.write_text(USER_GPU, encoding="utf-8")  # no price_usd_per_hour, no tdp_w
    device = str(spec) if hardware == "own" else hardware
    argv = ["plan", "explain", "--model", "llama3-8b", "--hardware", device, "--devices", "8",
            "--seq-len", "2048"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    said = [n for n in doc["notes"] if " is n/a on " in n or " are n/a on " in n]
    if hardware == "own":
        assert doc["prediction"]["cost_usd"] is None and doc["prediction"]["energy_j"] is None
        # the fix names the user's own file, not 'a --catalog TOML' (ut2runs: the device came from --hardware FILE)
        assert said == ["cost (est.) is n/a on my-gpu: no price per device-hour in its spec — add price_usd_per_hour "
                        f"(with price_date) to the [[device]] table of my-gpu in {spec} (the --hardware file), "
                        "written as [value, source] like the table's other figures",
                        "energy (est.) and carbon are n/a on my-gpu: no TDP in its spec — add tdp_w to the [[device]] "
                        f"table of my-gpu in {spec} (the --hardware file), written as [value, source] like the "
                        "table's other figures"], said
        code, out, err = run_main(argv, capsys)
        assert code == 0 and all(s in " ".join(out.split()) for s in said), out
    else:
        assert said == [] and doc["prediction"]["cost_usd"] is not None
