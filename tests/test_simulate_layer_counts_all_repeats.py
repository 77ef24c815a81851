"""`simulate run --json`: a layer's counts are for all its repeats, and its documented meaning says so.

Before, the schema (docs/schemas.md, `accelopt schema simulate-run`) said `layers[].macs` is "multiply-accumulates of
one repeat" and SimLayer "counts are for one repeat", while the JSON held the whole layer: a grouped conv of 2 groups
(M=100, N=6, K=36 per group) read macs 43,200 = 100 x 6 x 36 x 2, and its folds, cycles and DRAM bytes cover
both groups. A user dividing by nothing, or multiplying by repeats as the text told, got 2x (12x for a depthwise
conv of 12 channels). Counts checked by hand: output H x W x C_out x R x S x C_in/groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main

from accelopt.report.schema import json_schema

NET = '''import torch.nn as nn
class Net2(nn.Module):
    def __init__(self):
        super().__init__()
        self.g = nn.Conv2d(8, 12, 3, padding=1, groups=2)
        self.dm = nn.Conv2d(12, 24, 5, stride=2, padding=2, groups=12)
    def forward(self, x):
        return self.dm(self.g(x))
'''


def test_grouped_layer_counts_cover_every_repeat(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    (tmp_path / "d.toml").write_text(SMALL_DESIGN_TOML)
    (tmp_path / "net2.py").write_text(NET)
    code, out, err = run_main(["simulate", "run", "-d", str(tmp_path / "d.toml"), "-m",
                               f"{tmp_path / 'net2.py'}:Net2", "--input-shape", "8,10,10", "--json"], capsys)
    assert code == 0, err
    g, dm = json.loads(out)["layers"]
    # by hand: g: 10 x 10 outputs x 12 filters x 3 x 3 x (8 / 2) inputs; dm: 5 x 5 x 24 x 5 x 5 x 1
    assert g["macs"] == 10 * 10 * 12 * 3 * 3 * 4 == g["m"] * g["n"] * g["k"] * g["repeats"] and g["repeats"] == 2
    assert dm["macs"] == 5 * 5 * 24 * 5 * 5 == dm["m"] * dm["n"] * dm["k"] * dm["repeats"] and dm["repeats"] == 12
    assert g["folds"] == g["row_folds"] * g["col_folds"] * g["repeats"]
    props = json_schema("simulate-run")["$defs"]["SimLayer"]["properties"]
    assert "one repeat" not in props["macs"]["description"]
    assert "repeats" in props["macs"]["description"] and "repeats" in props["folds"]["description"]
