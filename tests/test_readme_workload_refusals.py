"""README's list of the `plan` options a captured workload refuses is the code's (ut_readme).

README said "a workload JSON `--model` refuses the options it cannot use (`--dtype`, ..., `--top`, facility
options)", but `plan --model W.json --top 3` runs and shows three rows (tests/test_plan_workload_top.py): a user
read of README left out a flag that works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_main
from test_plan_workload_top import _workload

ROOT = Path(__file__).resolve().parents[1]
VALUES = {"--dtype": "fp16", "--objective": "cost", "--deadline": "30d", "--budget-usd": "100", "--seq-len": "128",
          "--global-batch": "16", "--top": "3", "--schedule": "zb-h1", "--hsdp": "off", "--etp": "off",
          "--recompute-layers": "off", "--slice-devices": "4", "--pue": "1.2", "--grid-kg-per-kwh": "0.1",
          "--host-w": "100"}


def _readme_sentence() -> str:
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    m = re.search(r"a workload JSON `--model` refuses the options it cannot use \(([^)]*)\)", text)
    assert m, "README's sentence on the options a workload refuses is gone: update this test"
    return m.group(1)


def test_readme_workload_refusals_match_the_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = _readme_sentence()
    refused = re.findall(r"`(--[a-z-]+)`(?! limits)", said)
    accepted = re.findall(r"`(--[a-z-]+)` limits", said)
    assert refused and set(refused + accepted) <= set(VALUES)
    w = str(_workload(tmp_path))
    for flag in refused:
        code, _, err = run_main(["plan", "--model", w, "--devices", "8", flag, VALUES[flag]], capsys)
        assert code == 2 and f"{flag}: --model" in err, (flag, err)
    for flag in accepted:
        code, _, err = run_main(["plan", "--model", w, "--devices", "8", flag, VALUES[flag]], capsys)
        assert code == 0, (flag, err)
    # the facility and layout-search options README names in words are refused too
    for words, flags in (("facility", ("--pue", "--grid-kg-per-kwh", "--host-w")),
                         ("layout-search", ("--schedule", "--hsdp", "--etp", "--recompute-layers",
                                            "--slice-devices"))):
        assert words in said
        for flag in flags:
            code, _, err = run_main(["plan", "--model", w, "--devices", "8", flag, VALUES[flag]], capsys)
            assert code == 2, (flag, err)
