"""Where the weights alone overflow a device, `plan serve`'s fix names the layout of the fewest devices that holds
one request and that the command then runs: --tp up to one scale-up domain (tensor parallelism inside a node), --pp
for the rest, over several domains only where the spec links them (utleftplan, 2026-12-05; utserve3's leftover).
It searched --pp alone at the given --tp: Llama 3 70B bf16 on one L4 was sent to --pp 8, and Llama 3.1 405B to
--pp 63, 63 devices over 8 of the L4's domains of 8, which its spec links by no scale-out bandwidth: refused next."""

from __future__ import annotations

import json
import re

import pytest
from conftest import run_main

BASE = ["plan", "serve", "--batch", "1", "--prompt", "128", "--output", "16"]


def _fix(model: str, device: str, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, _, err = run_main([*BASE, "-m", model, "--hardware", device, *extra], capsys)
    assert code == 2
    return " ".join(err.split())


def _runs(model: str, device: str, tp: int, pp: int, capsys: pytest.CaptureFixture[str]) -> bool:
    code, out, _ = run_main([*BASE, "-m", model, "--hardware", device, "--tp", str(tp), "--pp", str(pp), "--json"],
                            capsys)
    return code == 0 and json.loads(out)["results"][0]["points"][0]["fits"] is True


def test_the_named_layout_is_the_fewest_devices_and_runs(capsys: pytest.CaptureFixture[str]) -> None:
    flat = _fix("llama3-70b", "l4", capsys)
    got = re.search(r"\(at --tp (\d+), --pp (\d+): (\d+) devices, holds one request\)", flat)
    assert got is not None, flat
    tp, pp, n = (int(g) for g in got.groups())
    assert (tp, pp, n) == (8, 1, 8)  # one server of 8 L4s, tensor-parallel (the same count as --pp 8)
    assert _runs("llama3-70b", "l4", tp, pp, capsys)
    assert not _runs("llama3-70b", "l4", 4, 1, capsys)  # no layout of fewer devices holds it


def test_no_layout_over_unlinked_domains_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    # on rtx-4090 (8 per PCIe domain, no scale-out figure); the subject was l4 until rcatlinks (2026-12-05) gave l4
    # the g6.48xlarge network (test_a_linked_l4_is_sent_past_its_server below)
    flat = _fix("llama3-405b", "rtx-4090", capsys)
    assert "--pp 63" not in flat and "(at --tp" not in flat
    assert ("(its bf16 weights, 756.0 GiB in all, need at least 36 x rtx-4090: no layout within one scale-up domain "
            "of 8 holds one request, and its spec lists no scale-out bandwidth (scaleout_bandwidth_byte_per_s) to "
            "join domains)") in flat
    code, _, err = run_main([*BASE, "-m", "llama3-405b", "--hardware", "rtx-4090", "--tp", "8", "--pp", "5"], capsys)
    assert code == 2 and "no scale-out bandwidth" in " ".join(err.split())  # what the old hint led to


def test_a_linked_l4_is_sent_past_its_server(capsys: pytest.CaptureFixture[str]) -> None:
    # l4 lists a scale-out figure since 2026-12-05 (aws-g6-net, 100 Gbps per 8-GPU g6.48xlarge): the fix names a
    # layout over 5 servers, and that layout runs
    flat = _fix("llama3-405b", "l4", capsys)
    assert "(at --tp 8, --pp 5: 40 devices, holds one request)" in flat, flat
    assert _runs("llama3-405b", "l4", 8, 5, capsys)


def test_a_linked_device_keeps_the_given_tp_where_it_is_fewest(capsys: pytest.CaptureFixture[str]) -> None:
    flat = _fix("llama3-405b", "h100-sxm", capsys, "--tp", "4")
    assert "(at --tp 4, --pp 3: 12 devices, holds one request)" in flat  # fewer than --tp 8 --pp 2's 16
    assert _runs("llama3-405b", "h100-sxm", 4, 3, capsys)
