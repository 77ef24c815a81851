"""`plan serve` on a TPU: the tensor-parallel all-reduces run on their own mesh axes' ICI links, as training's do
(rtpuaxis; comm.ici_shares: 'How to Scale Your Model', jax-ml/scaling-book @04d8de58, sharding.md, 'bytes /
(bidirectional ICI bandwidth * num_axes)'). Serving gave every tp group the chip's whole ICI and said nothing
(utleftplan, 2026-12-05). A v5p chip has 3 torus dimensions; a 4-chip replica is the 2x2x1 slice (Google Cloud 'TPU
v5p' Configurations table), whose tp group spans 2 of them: 2/3 of the chip's ICI. Where a slice's shape is not cited
(v6e) and the tp group is a part of it, the whole-ICI default is printed beside the result, as `plan` prints it.
Tolerance: 1e-9 relative (the same arithmetic, recomputed)."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import comm, serving
from accelopt.workload.presets import get_model

KW = {"prompt_len": 1000, "output_len": 200, "batch": 8}


def test_share_of_a_replica_tp_group() -> None:
    v5p, v5e, h100 = get_device("tpu-v5p"), get_device("tpu-v5e"), get_device("h100-sxm")
    assert serving.tp_ici_share(v5p, 4, 1) == pytest.approx(2 / 3)  # 2x2x1: two of the chip's three dimensions
    assert serving.tp_ici_share(v5p, 8, 1) == 1.0  # 2x2x2: all three
    assert serving.tp_ici_share(v5p, 4, 2) == pytest.approx(2 / 3)  # 8 chips meshed [2, 4]: tp on two dimensions
    assert serving.tp_ici_share(v5e, 8, 1) == 1.0  # 2x4: both of a v5e chip's two
    assert serving.tp_ici_share(h100, 4, 1) == 1.0  # not a TPU


def test_v5p_tp4_decode_all_reduces_take_the_share(monkeypatch: pytest.MonkeyPatch) -> None:
    model, v5p = get_model("llama3-70b"), get_device("tpu-v5p")
    got = serving.predict_serving(model, v5p, tp=4, **KW)
    setup = serving._setup(model, v5p, 4, 1, "bf16", "bf16", serving.calibration_for_spec(v5p))
    link = serving._link(v5p, 4, setup.cal, "tensor parallelism")
    step = serving._decode_step_time(setup, KW["batch"], KW["prompt_len"] + KW["output_len"] / 2.0)
    n_ar = model.tp_allreduces_per_layer * model.layers
    at_share = serving.ring_or_tree_allreduces_s(
        n_ar * KW["batch"] * model.hidden * serving.ACT_BYTES, 4,
        serving._Link(link.bandwidth_byte_per_s * 2 / 3, link.latency_s, link.ranks_per_domain, link.chain_latency_s),
        calls=n_ar)
    assert step.comm_s == pytest.approx(at_share, rel=1e-9)
    # the whole ICI (the figure before): faster collectives, so the prediction moved
    monkeypatch.setattr(serving, "tp_ici_share", lambda *a, **k: 1.0)
    whole = serving.predict_serving(model, v5p, tp=4, **KW)
    assert got.decode_step.comm_s > whole.decode_step.comm_s
    assert got.tpot_s > whole.tpot_s


def test_uncited_slice_shape_is_said_beside_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "serve", "-m", "llama3-8b", "--hardware", "tpu-v6e", "--batch", "8", "--prompt", "1000",
            "--output", "200"]
    code, out, err = run_main([*base, "--tp", "4", "--pp", "2"], capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "no cited torus shape for a 8-chip tpu-v6e slice" in flat
    code, out, err = run_main([*base, "--tp", "4", "--pp", "2", "--json"], capsys)
    assert code == 0, err
    assumed = json.loads(out)["results"][0]["points"][0]["assumed"]
    assert comm.ICI_SHAPE_FIELD in [a["field"] for a in assumed]
    # the tp group is the whole 4-chip replica: every dimension of it, whatever its shape (training's rule)
    code, out, err = run_main([*base, "--tp", "4"], capsys)
    assert code == 0, err
    assert "no cited torus shape" not in " ".join(out.split())
