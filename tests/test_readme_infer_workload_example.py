"""README's `plan infer` example of a profiled workload runs as written (ut_readme2).

The example read `accelopt profile my.py:build --mode inference --save-workload w.json && accelopt plan infer w.json
--batch 8`: on examples/my_model.py (batch 16) the second command exits 2 ('a saved workload holds one batch size
(16); --batch asks for 8'), as README's own MODEL paragraph says a saved workload is planned at its own batch. The
example now captures the batch it plans (`--batch-size 8`) and leaves `--batch` out."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from conftest import run_main

ROOT = Path(__file__).resolve().parents[1]


def test_readme_profile_then_plan_infer_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^accelopt (profile examples/my_model\.py:build [^&\n]*--save-workload w\.json) "
                  r"&& accelopt (plan infer w\.json[^#\n]*)", text, re.M)
    assert m, "README's profile -> plan infer example changed: update this test"
    wl = str(tmp_path / "w.json")
    my_model = str(ROOT / "examples" / "my_model.py")
    profile = [wl if a == "w.json" else a for a in shlex.split(m[1].replace("examples/my_model.py", my_model))]
    code, _, err = run_main([*profile, "--steps", "3", "--warmup", "1", "--json"], capsys)
    assert code == 0, err
    infer = [wl if a == "w.json" else a for a in shlex.split(m[2])]
    code, out, err = run_main([*infer, "--hardware", "h100-sxm", "--json"], capsys)
    assert code == 0, err
    batch = re.search(r"--batch(?:-size)?[ =](\d+)", m[0])
    assert batch, m[0]
    assert json.loads(out)["devices"][0]["points"][0]["batch"] == int(batch[1])
