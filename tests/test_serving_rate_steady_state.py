"""An open-loop `plan serve --rate R` run that keeps up completes what arrives: output tokens/s = R x output tokens
(it printed the static batch's throughput at the rounded Little's-law concurrency: 196.5 tok/s at 0.5 req/s x 256
tokens = 128 tok/s offered, 1449.8 at 8 req/s = 2048 offered); $/M tokens and J/token follow from it. The
concurrency a rate runs at is one whose batch's device time keeps up with what arrives (at 8 req/s, 25 in flight
completed 1449.8 tok/s of device work, less than the 2048 offered)."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from accelopt.cli.main import app
from accelopt.hardware.catalog import get_device
from accelopt.predict import cost
from accelopt.predict.serving import predict_at_rate, predict_serving
from accelopt.workload.presets import get_model


@pytest.mark.parametrize("rate", [0.5, 2.0, 8.0])
def test_rate_run_delivers_the_offered_tokens(rate: float) -> None:
    spec = get_device("h100-sxm")
    p = predict_at_rate(get_model("llama3-8b"), spec, rate_per_s=rate, prompt_len=1024, output_len=256)
    assert p.output_tokens_per_s == pytest.approx(rate * 256)
    assert p.output_tokens_per_s_per_device == pytest.approx(rate * 256 / p.n_devices)
    # the replica is rented for the whole wall time: price per second over the tokens per second
    usd_per_s = cost.cost_usd(spec, p.n_devices, 1.0)
    assert usd_per_s is not None
    assert p.usd_per_million_output_tokens == pytest.approx(usd_per_s / (rate * 256) * 1e6)
    # busy for the share of the time its batch's work takes (at that batch's J/token), idle the rest
    b = predict_serving(get_model("llama3-8b"), spec, batch=p.batch, prompt_len=1024, output_len=256,
                        scheduling="continuous")
    assert b.output_tokens_per_s >= rate * 256  # the device keeps up with what arrives
    assert b.energy_j_per_output_token is not None and p.energy_j_per_output_token is not None
    idle_j_per_s = cost.energy_j(spec, p.n_devices, 1.0 - rate * 256 / b.output_tokens_per_s, 0.0)
    assert p.energy_j_per_output_token == pytest.approx(b.energy_j_per_output_token + idle_j_per_s / (rate * 256))

def test_cli_rate_json_prints_the_offered_load() -> None:
    r = CliRunner().invoke(app, ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--rate", "0.5",
                                 "--json"])
    assert r.exit_code == 0, r.output
    point = json.loads(r.output)["results"][0]["points"][0]
    assert point["output_tokens_per_s"] == pytest.approx(0.5 * 256)  # the default --output 256
