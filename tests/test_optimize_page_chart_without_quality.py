"""optimize's page draws a chart when no quality was measured: memory (and energy) per step against the speed-up.

The defect (ut4hist, 2026-12-06): `optimize models.py:dictout --only bf16 --html opt.html` of a model without
eval_batches wrote a page with no chart at all (optimize_plots drew only quality-axis charts and returned none
when no variant had a quality), though README's table lists optimize's charts and the table's Pareto column
still marks a front (speed-up, memory, energy)."""
from types import SimpleNamespace

from accelopt.optimize.results import VariantResult
from accelopt.report.plots import optimize_plots


def _variant(name: str, speedup: float, memory_bytes: float, energy_j: float | None, pareto: bool) -> VariantResult:
    return VariantResult(name=name, techniques=[] if name == "baseline" else [name], family="test",
                         status="measured", speedup=speedup, memory_bytes=memory_bytes, energy_per_step_j=energy_j,
                         pareto=pareto)


def test_without_quality_memory_is_charted_against_speed_up() -> None:
    r = SimpleNamespace(metric=None, variants=[_variant("baseline", 1.0, 70 * 1024, None, True),
                                               _variant("bf16", 0.539, 90 * 1024, None, False)])
    charts = optimize_plots(r)
    assert [c for c, _ in charts] == [
        "optimize: memory vs speed-up (quality not measured: no quality axis; filled = on the Pareto front)"]
    assert charts[0][1].lstrip().startswith("<svg")


def test_energy_is_charted_where_it_was_measured() -> None:
    r = SimpleNamespace(metric=None, variants=[_variant("baseline", 1.0, 70 * 1024, 0.5, True),
                                               _variant("bf16", 1.4, 90 * 1024, 0.4, True),
                                               VariantResult(name="int8", techniques=["int8"], family="test",
                                                             status="failed", reason="x")])
    assert [c.split(" (")[0] for c, _ in optimize_plots(r)] == ["optimize: memory vs speed-up",
                                                                 "optimize: energy per step vs speed-up"]
