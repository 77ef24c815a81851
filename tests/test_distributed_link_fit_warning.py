"""`profile --nproc --probed SPEC` predicts the run's communication on the link `probe --collectives` measured; when
plan's ring model with that link missed a measured all-reduce past LINK_MODEL_MAX_ERROR (25%), probe saved a
poor-fit warning in the spec, which `plan --collectives` prints beside the link. The distributed prediction used the
same link and said nothing of it (only the busy-machine warnings were carried over); it is now a warning naming plan's
prediction, on the console and in --json, and a well-fitting link adds none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_distributed_units import _probe_result

from accelopt.distributed.collectives import build_result, spec_lines
from accelopt.distributed.predict_check import MEASURED_LINK
from accelopt.distributed.run import PREDICTION_FIGURES, busy_spec_warnings
from accelopt.hardware.catalog import get_device
from accelopt.measure.contention import ContentionReport
from accelopt.measure.probe import spec_toml

SIZES = [1024, 65536, 4 * 2**20]


def _rank0(middle_s: float) -> dict[str, Any]:
    """Steady all-reduce times (1% over the repeats) on 2 ranks: 40 us + S / 1 GB/s, but `middle_s` at 64 KiB."""
    def t(s: int) -> float:
        return middle_s if s == 65536 else 40e-6 + s / 1e9
    return {"times": [{"op": "all_reduce", "size_bytes": s, "times_s": [t(s) * (1 + 0.001 * i) for i in range(10)]}
                      for s in SIZES]}


def _spec(tmp_path: Path, middle_s: float) -> Any:
    links = build_result(_rank0(middle_s), "gloo", "cpu", 2)
    path = tmp_path / "probed.toml"
    path.write_text(spec_toml(_probe_result(), spec_lines(links)))
    return get_device(str(path), catalog_flag=False), links


def test_a_link_the_ring_model_misses_is_a_warning_on_the_prediction(tmp_path: Path) -> None:
    spec, links = _spec(tmp_path, middle_s=400e-6)  # the line says 40 us + 66 us: the model misses it by -74%
    assert links.link_warning is not None  # probe warned of it and saved it in the spec
    report = ContentionReport()
    busy_spec_warnings(report, spec, f"{MEASURED_LINK} {spec.name}")
    fit = [w for w in report.warnings if "ring model" in w]
    assert len(fit) == 1 and fit[0].startswith("--probed ")
    assert "understates the measured all-reduce at 64 KiB" in fit[0]
    assert PREDICTION_FIGURES in report.disturbed


def test_a_link_that_fits_adds_no_warning(tmp_path: Path) -> None:
    spec, links = _spec(tmp_path, middle_s=40e-6 + 65536 / 1e9)  # on the line
    assert links.link_warning is None
    report = ContentionReport()
    busy_spec_warnings(report, spec, f"{MEASURED_LINK} {spec.name}")
    assert not report.warnings and not report.disturbed


def test_a_catalog_link_is_not_warned_of(tmp_path: Path) -> None:
    """The prediction did not use the measured link (a link_source of plan's defaults): nothing to warn of."""
    spec, _ = _spec(tmp_path, middle_s=400e-6)
    report = ContentionReport()
    busy_spec_warnings(report, spec, "no link in x: plan's default")
    assert not [w for w in report.warnings if "ring model" in w]
