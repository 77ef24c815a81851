"""`catalog compare` with several unknown names names them all, each with its close matches: only the first was said
(`compare h100 mi300 tpuv4`: 'mi300'), and the user fixing it then met 'unknown device tpuv4' (2026-12-05, utprobe)."""

from __future__ import annotations

import pytest
from conftest import run_main


def test_every_unknown_name_is_said_with_its_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["catalog", "compare", "h100", "mi300", "tpuv4"], capsys)
    assert code == 2 and out == ""
    said = " ".join(err.split())
    assert "error: unknown device 'mi300'; unknown device 'tpuv4'" in said
    assert "'mi300': did you mean 'mi300x'" in said and "'tpuv4': did you mean 'tpu-v4'" in said


def test_one_unknown_name_keeps_its_own_message(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["catalog", "compare", "h100", "mi300"], capsys)
    assert code == 2
    assert "error: unknown device 'mi300'\n  fix: did you mean 'mi300x'" in err
