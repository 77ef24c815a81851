"""A layout or batch that does not fit exits 2 in `plan`, `plan explain` and `plan serve`, with its memory terms in the
JSON too (stdout stays JSON; the error and fix go to stderr)."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

MEM = ("mem_weights_bytes", "mem_grads_bytes", "mem_optimizer_bytes", "mem_activations_bytes", "mem_overhead_bytes")


def test_explain_overflow_exits_2_with_memory_terms_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "explain", "--model", "llama3-70b", "--hardware", "h100-sxm", "--devices", "8",
                               "--zero", "0", "--json"], capsys)
    assert code == 2 and "does not fit" in err and "terms.mem_" in err
    t = {x["name"]: x["value"] for x in json.loads(out)["terms"]}
    assert t["mem_total_bytes"] > t["mem_capacity_bytes"]
    assert sum(t[k] for k in MEM) == pytest.approx(t["mem_total_bytes"], rel=1e-12)


def test_search_with_nothing_fitting_exits_2_with_the_closest_layouts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "--model", "llama3-405b", "--hardware", "l4", "--devices", "8", "--top", "3",
                               "--json"], capsys)
    assert code == 2 and "no feasible layout" in err
    d = json.loads(out)
    assert d["best"] == [] and len(d["closest_by_memory"]) == 3
    ratios = [r["mem_total_bytes"] / r["mem_capacity_bytes"] for r in d["closest_by_memory"]]
    assert ratios == sorted(ratios) and ratios[0] > 1
    code, out, err = run_main(["plan", "--model", "llama3-405b", "--hardware", "l4", "--devices", "8", "--top", "3"],
                              capsys)
    assert code == 2 and "closest to fitting memory" in out


SERVE = ["plan", "serve", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "2", "--prompt", "2048",
         "--output", "256"]


def test_serve_batch_that_does_not_fit_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*SERVE, "--batch", "1,512", "--json"], capsys)
    assert code == 2 and "batch 512" in err and "KV cache" in err and "fix:" in err
    points = json.loads(out)["results"][0]["points"]
    fits = {p["batch"]: p for p in points}
    assert fits[1]["fits"] and not fits[512]["fits"]
    big = fits[512]
    assert big["memory_bytes_per_device"] > big["usable_memory_bytes_per_device"]
    assert big["memory_bytes_per_device"] == pytest.approx(
        big["weights_bytes_per_device"] + big["kv_cache_bytes_per_device"] + big["workspace_bytes_per_device"])
    # The default sweep only visits batches that fit: exit 0.
    code, out, err = run_main([*SERVE, "--json"], capsys)
    assert code == 0, err
    assert all(p["fits"] for p in json.loads(out)["results"][0]["points"])


@pytest.mark.parametrize("limit", [("--deadline", "1h"), ("--budget-usd", "1000")])
def test_search_whose_fitting_layouts_miss_the_limits_lists_those_nearest_them(
        capsys: pytest.CaptureFixture[str], limit: tuple[str, str]) -> None:
    """Layouts that fit memory but all miss --deadline (or --budget-usd) were listed as 'closest to fitting memory
    (none fits)': the smallest-memory layouts (OLMo-2 7B on 8 H100s, --deadline 1h: 16 GiB of 80, at 267 days),
    though 1,240 fit and the fastest took 120 days. The layouts that fit are listed, nearest the limit first, under a
    title naming it (JSON closest_to_limits); closest_by_memory stays for searches where memory dropped them all."""
    argv = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--tokens", "1e12", "--top",
            "3", *limit]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 2 and "fit memory but miss --deadline / --budget-usd" in err, err
    d = json.loads(out)
    near = d["closest_to_limits"]
    assert d["best"] == [] and d["closest_by_memory"] == [] and len(near) == 3
    assert all(r["mem_total_bytes"] <= r["mem_capacity_bytes"] for r in near)
    key = "train_time_s" if limit[0] == "--deadline" else "cost_usd"
    assert [r[key] for r in near] == sorted(r[key] for r in near)
    code, out, err = run_main(argv, capsys)
    assert code == 2 and f"closest to {limit[0]} {limit[1]} (they fit memory" in out
    assert "closest to fitting memory" not in out


def test_a_budget_on_devices_with_no_price_names_the_missing_price(capsys: pytest.CaptureFixture[str]) -> None:
    """uttrial: --budget-usd on mi300x (no price in the catalog) listed ten layouts 'closest to --budget-usd 100'
    whose cost was n/a, with the fix 'relax --deadline / --budget-usd', which no budget would satisfy."""
    argv = ["plan", "--model", "llama3-8b", "--hardware", "mi300x", "--devices", "8", "--tokens", "1e10",
            "--budget-usd", "100"]
    code, out, err = run_main(argv, capsys)
    assert code == 2 and not out, out
    assert "--budget-usd 100: no layout that fits memory has a cost" in err and "mi300x" in err, err
    assert "price_usd_per_hour" in err.split("fix:")[1], err
    code, _, err = run_main([*argv[:4], "mi300x,h100-sxm", *argv[5:]], capsys)  # a priced device: the closest table
    assert code == 2 and "fit memory but miss --deadline / --budget-usd" in err, err
