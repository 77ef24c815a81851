"""`plan serve --json` where no device can hold the weights (issue 10, 'Exit status'): it exited 2 with the reason on
stderr and nothing on stdout, while the same command with a second device that fits printed the JSON document with
the failing device under `errors`, and `plan --json` / `plan explain --json` print their document when nothing fits.
A script reading stdout got an empty string (json.loads: 'Expecting value')."""

from __future__ import annotations

import json

import pytest

from accelopt.cli.main import main


def _serve_json(capsys: pytest.CaptureFixture[str], hardware: str) -> tuple[int, dict, str]:
    with pytest.raises(SystemExit) as e:
        main(["plan", "serve", "--model", "llama3-70b", "--hardware", hardware, "--tp", "1", "--batch", "1",
              "--json"])
    out, err = capsys.readouterr()
    return int(e.value.code or 0), json.loads(out), err


def test_no_device_fits_still_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = _serve_json(capsys, "h100-sxm")  # 70B bf16 weights: 141 GB > 77 GB usable
    assert code == 2 and "weights alone need" in err
    assert doc["schema"] == "accelopt.plan-serve" and doc["results"] == []
    assert [e["device"] for e in doc["errors"]] == ["h100-sxm"] and "weights alone need" in doc["errors"][0]["problem"]


def test_every_failing_device_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = _serve_json(capsys, "h100-sxm,l40s")
    assert code == 2 and doc["results"] == [] and [e["device"] for e in doc["errors"]] == ["h100-sxm", "l40s"]


def test_one_device_fits_exits_0_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["plan", "serve", "--model", "llama3-70b", "--hardware", "h100-sxm,b200", "--tp", "1", "--batch", "1",
              "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert (e.value.code or 0) == 0 and [r["device"] for r in doc["results"]] == ["b200"]
    assert [x["device"] for x in doc["errors"]] == ["h100-sxm"]


def test_a_saturated_rate_keeps_the_rates_the_device_completes(capsys: pytest.CaptureFixture[str]) -> None:
    # `--rate 1,1000`: 1000 requests/s is beyond the ~7 requests/s one H100 completes; the rate-1 point was dropped
    # with it (the device listed under errors alone). Now it is shown and the command still exits 2 naming 1000/s.
    with pytest.raises(SystemExit) as e:
        main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--rate", "1,1000", "--prompt", "1000",
              "--output", "1000", "--json"])
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert e.value.code == 2 and "1000 requests/s exceeds" in err
    assert [p["request_rate_per_s"] for p in doc["results"][0]["points"]] == [1.0]
    # the reason of the exit is in the document too, under the device (utserve: `errors` was [] beside exit 2)
    assert [x["device"] for x in doc["errors"]] == ["h100-sxm"] and "1000 requests/s" in doc["errors"][0]["problem"]


def test_no_rate_completed_is_the_device_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--rate", "1000", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert e.value.code == 2 and doc["results"] == [] and "1000 requests/s exceeds" in doc["errors"][0]["problem"]


def test_every_failing_device_is_named_in_text_too(capsys: pytest.CaptureFixture[str]) -> None:
    # the error named h100-sxm alone; l40s's reason was printed nowhere (only --json carried it)
    with pytest.raises(SystemExit) as e:
        main(["plan", "serve", "--model", "llama3-70b", "--hardware", "h100-sxm,l40s", "--tp", "1", "--batch", "1"])
    out, err = capsys.readouterr()
    assert e.value.code == 2 and "l40s: infeasible" in out and "weights alone need" in out
    # utserve2 (2026-12-05): each device's reason is listed (h100-sxm's too) and the error counts them
    assert "h100-sxm: infeasible" in out and "1 x h100-sxm" in out and "none of the 2 devices" in err, err


def test_the_memory_terms_are_numbers_in_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    """ut10 2026-12-04: where not one request fits, `errors[]` held the memory terms only inside the problem's text
    (issue 10: exit 2 'with the memory terms in the JSON too'); they are numbers now, the same as a point's fields
    (b200 holds the 70B at tp 1: its point's weights are the H100's, same model, dtype and tp) and the text's GiB."""
    with pytest.raises(SystemExit) as e:
        main(["plan", "serve", "--model", "llama3-70b", "--hardware", "h100-sxm,b200", "--tp", "1", "--batch", "4",
              "--prompt", "1000", "--output", "100", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert (e.value.code or 0) == 0
    (err,) = doc["errors"]
    mem, point = err["memory"], doc["results"][0]["points"][0]
    assert err["device"] == "h100-sxm" and mem["batch"] == 4 == point["batch"]
    assert mem["weights_bytes_per_device"] == point["weights_bytes_per_device"]
    assert mem["kv_cache_bytes_per_device"] == point["kv_cache_bytes_per_device"]  # 4 requests' KV, device-free
    assert mem["memory_bytes_per_device"] == pytest.approx(
        mem["weights_bytes_per_device"] + mem["kv_cache_bytes_per_device"] + mem["workspace_bytes_per_device"])
    assert mem["memory_bytes_per_device"] > mem["usable_memory_bytes_per_device"]
    assert f"weights alone need {mem['weights_bytes_per_device'] / 2**30:.1f} GiB" in err["problem"]
    assert f"above the {mem['usable_memory_bytes_per_device'] / 2**30:.1f} GiB usable" in err["problem"]


def test_other_errors_carry_no_memory_terms(capsys: pytest.CaptureFixture[str]) -> None:
    """A requested batch over the memory of a device whose points are shown: its points carry the terms."""
    with pytest.raises(SystemExit) as e:
        main(["plan", "serve", "--model", "llama3-8b", "--hardware", "l4", "--tp", "1", "--batch", "256",
              "--prompt", "8000", "--output", "100", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert e.value.code == 2 and [x["memory"] for x in doc["errors"]] == [None]
    assert doc["results"][0]["points"][0]["fits"] is False
