"""utserve3 (2026-12-05): `plan serve --requests N` beside --concurrency or --rate names the flag given and the fix
that runs (--batch max in its place). Before, it said '--requests N without --batch max ... add --batch max', and
adding it beside --concurrency max was refused in turn ('more than one of --batch, --concurrency and --rate')."""

from __future__ import annotations

import pytest
from conftest import run_main

BASE = ["plan", "serve", "-m", "llama3-8b", "--hardware", "h100-sxm", "--prompt", "128", "--output", "16",
        "--requests", "10"]


@pytest.mark.parametrize(("flag", "value"), [("--concurrency", "max"), ("--concurrency", "4"), ("--rate", "2")])
def test_the_fix_replaces_the_flag_given(flag: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*BASE, flag, value], capsys)
    assert code == 2
    flat = " ".join(err.split())
    assert f"--requests 10 with {flag}" in flat
    assert f"write --batch max in place of {flag} {value}" in flat
    code, _, err = run_main([*BASE, "--batch", "max"], capsys)  # the fix, followed, runs
    assert code == 0, err
