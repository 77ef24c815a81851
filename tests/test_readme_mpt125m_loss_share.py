"""README (accuracy section, MosaicML A100 table) said MPT-125M's error moved -11.7% -> -2.7% with ce's eager
cross-entropy charge, 'the loss being ~30% of its step': the prediction's own arithmetic gives the loss (PyTorch
eager F.cross_entropy's passes, 48 B per logit element in 7 kernels) 22% of the predicted step and the output
layer with its loss (t_logits_s) 38%, neither ~30%. The sentence now gives both, recomputed here."""

from __future__ import annotations

import math
from pathlib import Path

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.compute import EAGER_CE_BWD_BYTES, EAGER_CE_BWD_KERNELS, EAGER_CE_FWD_BYTES, EAGER_CE_FWD_KERNELS
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_mpt125m_loss_share_is_the_predictions() -> None:
    row = next(r for r in read_runs() if r["id"] == "mpt-a100-125m-8")
    res = predict_layout(run_query(row))
    step, logits = (float(getattr(res.terms[k], "value", res.terms[k])) for k in ("step_time_s", "t_logits_s"))
    # the loss alone, by hand: m micro-batches of mbs x seq tokens x V logits, at memory_eff x the datasheet bandwidth
    spec = get_device(row["hardware"])
    cal = calibration_for(spec, load_calibrations(None), row["stack"])
    m = int(row["global_batch"]) // int(row["dp"]) // int(row["mbs"])
    elems = int(row["mbs"]) * int(row["seq"]) * int(row["vocab"])
    loss = m * (elems * (EAGER_CE_FWD_BYTES + EAGER_CE_BWD_BYTES) / (spec.memory_bandwidth_byte_per_s * cal.memory_eff)
                + (EAGER_CE_FWD_KERNELS + EAGER_CE_BWD_KERNELS) * cal.kernel_overhead_s)
    assert loss < logits
    text = " ".join(README.read_text(encoding="utf-8").split())
    words = (f"the loss {math.floor(100 * loss / step + 0.5)}% of its predicted step, the output layer with it "
             f"{math.floor(100 * logits / step + 0.5)}%")
    assert words in text, words
