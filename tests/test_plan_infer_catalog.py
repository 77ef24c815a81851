"""`plan infer --catalog FILE` (uplan3, 2026-12-01): `plan`, `plan explain` and `plan serve` take a user's catalog file,
`plan infer` (the edge-deployment command) refused it ('No such option: --catalog'), so a user's own edge device could
be planned only as a one-device spec path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

ROOT = Path(__file__).resolve().parents[1]


def test_infer_plans_a_catalog_file_device(capsys: pytest.CaptureFixture[str]) -> None:
    catalog = str(ROOT / "examples" / "my_accelerator.toml")  # my-asic, alias my-chip
    code, out, err = run_main(["plan", "infer", "kws-dscnn", "--hardware", "my-chip", "--catalog", catalog,
                               "--batch", "1", "--json"], capsys)
    assert code == 0, err
    assert [d["device"] for d in json.loads(out)["devices"]] == ["my-asic"]


def test_without_the_catalog_the_name_is_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "infer", "kws-dscnn", "--hardware", "my-asic", "--batch", "1"], capsys)
    assert code == 2 and "unknown device 'my-asic'" in err
