"""`plan infer` with a batch that fits on none of the devices printed 'fits NO' and exited 0, with no message (the
ranking then silently left every device out): ResNet-50 at --input-size 100000 (895 GiB per inference) or at
--batch 20000 on an L4 (90.7 GiB against its 24 GB). It now exits 2 after the figures, naming each device's need
against its memory, as `plan serve` does for a batch that does not fit (utserve, 2026-12-05); a batch that fits on
one of the devices (the Groq LPU refusing VGG16 beside an L4 holding it) still exits 0."""

from __future__ import annotations

import json

import pytest
from conftest import run_main_expect


def test_a_batch_no_device_holds_exits_2_naming_each_need(capsys: pytest.CaptureFixture[str]) -> None:
    out, err = run_main_expect(capsys, "plan", "infer", "resnet50", "--hardware", "l4,t4", "--batch", "1,20000",
                               code=2)
    assert "batch 20000 fits on none of the devices" in err
    assert "l4 needs 90.7 GiB" in err and "t4 needs 90.7 GiB" in err
    assert "batch 1 " not in err.split("fix:")[0]  # batch 1 fits: only the batch that fits nowhere is named
    assert "l4" in out  # the table is still printed before the error


def test_json_keeps_every_point_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    out, err = run_main_expect(capsys, "plan", "infer", "resnet50", "--hardware", "l4", "--batch", "20000",
                               "--json", code=2)
    point = json.loads(out)["devices"][0]["points"][0]
    assert point["fits"] is False and point["memory_total_bytes"] > 24e9
    assert "fits on none of the devices" in err


def test_a_batch_one_device_holds_still_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run_main_expect(capsys, "plan", "infer", "vgg16", "--hardware", "groq-lpu,l4", "--batch", "1", "--json")
    fits = {d["device"]: d["points"][0]["fits"] for d in json.loads(out)["devices"]}
    assert fits == {"groq-lpu": False, "l4": True}
