"""An explicit --tp-allreduce custom that vLLM would not run is refused with vLLM's reason (exit 2), inside one
scale-up domain as across nodes: gb200 --tp 16 exited 0, timing NCCL under a note."""
from __future__ import annotations

import pytest
from conftest import run_main

BASE = ["plan", "serve", "-m", "llama3-70b", "--weight-dtype", "fp8", "--batch", "8"]


def test_an_unsupported_group_size_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*BASE, "--hardware", "gb200", "--tp", "16", "--tp-allreduce", "custom"], capsys)
    assert code == 2, err
    assert "--tp 16 is not a group size vLLM's custom all-reduce supports" in err
    assert "--tp-allreduce nccl" in err and "Traceback" not in err


def test_across_nodes_still_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*BASE, "--hardware", "h100", "--tp", "16", "--tp-allreduce", "custom"], capsys)
    assert code == 2 and "scale-up domain" in err and "--tp up to 8" in err


def test_a_supported_group_runs_and_the_default_only_notes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main([*BASE, "--hardware", "gb200", "--tp", "8", "--tp-allreduce", "custom"], capsys)[0] == 0
    code, out, err = run_main([*BASE, "--hardware", "gb200", "--tp", "16"], capsys)
    assert code == 0, err
    assert "not a group size vLLM's custom all-reduce supports" in out + err  # the engine's default: a note
