"""utserve3 (2026-12-05): where the weights alone overflow a device, `plan serve`'s fix names the smallest --pp at the
given --tp that holds one request (with its device count), not only 'raise --tp/--pp'; that layout must then run.
Llama 3.1 405B bf16 at --tp 8 on H100 (94.5 GiB of weights per device against 71.7 GiB usable) fits at --pp 2."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

BASE = ["plan", "serve", "-m", "llama3-405b", "--hardware", "h100-sxm", "--batch", "1", "--prompt", "128",
        "--output", "16"]


def test_the_fix_names_a_layout_that_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*BASE, "--tp", "8"], capsys)
    assert code == 2
    assert "(at --tp 8, --pp 2: 16 devices, holds one request)" in " ".join(err.split())
    code, out, err = run_main([*BASE, "--tp", "8", "--pp", "2", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["results"][0]["points"][0]["fits"] is True


def test_the_pp_named_is_the_smallest(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*BASE, "--tp", "4"], capsys)
    assert code == 2
    flat = " ".join(err.split())
    pp = int(flat.split("(at --tp 4, --pp ")[1].split(":")[0])
    code, _, _ = run_main([*BASE, "--tp", "4", "--pp", str(pp - 1), "--json"], capsys)
    assert code == 2  # one stage fewer does not hold one request
    code, _, err = run_main([*BASE, "--tp", "4", "--pp", str(pp), "--json"], capsys)
    assert code == 0, err


def test_a_device_without_a_link_is_not_sent_to_a_layout_it_refuses(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path) -> None:  # type: ignore[no-untyped-def]
    """utreadme (2026-12-05): README's `simulate export -d tpu-v1 --out tpu.toml`, then `plan serve -m llama3-8b
    --hardware tpu.toml --weight-dtype w8a8` (8.5 of 7.2 GiB usable) said 'raise --tp/--pp ... (at --tp 1, --pp 2:
    2 devices, holds one request)', and `--pp 2` then stopped: 'its spec lists no link between devices'. The fix
    names the link the layout needs, the field to give and where (since utleftplan's hint: the devices needed, no
    layout, and the missing link field)."""
    spec = tmp_path / "tpu.toml"
    code, _, err = run_main(["simulate", "export", "-d", "tpu-v1", "--out", str(spec), "--no-calibration"], capsys)
    assert code == 0, err
    argv = ["plan", "serve", "-m", "llama3-8b", "--hardware", str(spec), "--weight-dtype", "w8a8", "--batch", "1",
            "--prompt", "128", "--output", "16"]
    code, _, err = run_main(argv, capsys)
    flat = " ".join(err.split())
    # utleftplan's hint (merged with this): no layout named, the devices needed and the link field that is missing
    assert code == 2 and "--pp 2" not in flat and "need at least 2 x tpu-v1" in flat, flat
    assert "lists no scale-out bandwidth (scaleout_bandwidth_byte_per_s)" in flat, flat
    code, _, err = run_main([*argv, "--pp", "2"], capsys)
    assert code == 2 and "scaleup_bandwidth_byte_per_s" in " ".join(err.split())  # the layout named needs it
