"""The accuracy figures README.md quotes are the ones `accelopt validate` and `validate --serving` print today.

Each check reads a figure from the README's own sentence and compares it with the library result at the precision
the README writes it (a figure quoted as 2.6% must round to 2.6; "within 11%" must not exceed 11%), so a change to
the model that moves a row fails here until the sentence is updated.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from accelopt.predict.serving_validation import validate_serving
from accelopt.predict.validation import RunResult, read_runs, validate_report

README = re.sub(r"\s+", " ", (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8"))
REPORT = validate_report()
RESULTS = {r.id: r for r in REPORT.runs}


def _quoted(pattern: str) -> tuple[str, ...]:
    """The groups of the one README sentence matching `pattern` (whitespace-normalized)."""
    m = re.search(pattern, README)
    assert m, f"README.md no longer has a sentence matching {pattern!r}"
    return m.groups()


def _same_as_written(written: str, actual_percent: float) -> None:
    """`written` (e.g. '-2.6', '21') equals `actual_percent` rounded to the digits written."""
    decimals = len(written.split(".")[1]) if "." in written else 0
    half_unit = 0.5 * 10.0 ** -decimals
    assert abs(float(written) - actual_percent) <= half_unit + 1e-9, f"README says {written}%, validate gives " \
        f"{actual_percent:.2f}%"


def _pct(r: RunResult) -> float:
    return 100.0 * r.error


def test_overall_and_per_family_figures() -> None:
    median, count = _quoted(r"Held-out \(fit rows excluded\), [\d-]+: ([\d.]+)% median over (\d+) runs")
    _same_as_written(median, 100.0 * REPORT.median_abs_error_held_out)
    assert int(count) == sum(not r.fitted for r in REPORT.runs)
    families, precisions = _quoted(r"; by family (.*?); by precision (.*?)\. ")
    for summaries, text in ((REPORT.by_family, families), (REPORT.by_precision, precisions)):
        quoted = dict(re.findall(r"([a-z0-9-]+) ([\d.]+)%", text))
        assert set(quoted) == {s.group for s in summaries}
        for s in summaries:
            _same_as_written(quoted[s.group], 100.0 * s.median_abs_error)


def test_palm_two_pod_figure() -> None:
    (err,) = _quoted(r"published two-pod run held out at ([+-][\d.]+)%")
    _same_as_written(err, _pct(RESULTS["palm-540b-2pod"]))


def test_llama3_405b_figures() -> None:
    e8k, e16k = _quoted(r"Llama 3 405B on H100 (\d+)% \(8K GPUs\) and (\d+)% \(16K GPUs\) too fast")
    _same_as_written(e8k, -_pct(RESULTS["llama3-405b-8k"]))
    _same_as_written(e16k, -_pct(RESULTS["llama3-405b-16k"]))


def test_tpu_v5e_multislice_range() -> None:
    lo, hi = _quoted(r"\(median [\d.]+%, (-\d+)% at 2 slices to (-\d+)% at 32")
    # the range runs from the closest 2-slice row to the farthest 32-slice row
    sizes = ("16b", "32b", "64b")
    _same_as_written(lo, min((_pct(RESULTS[f"maxtext-v5e-{m}-x2"]) for m in sizes), key=abs))
    _same_as_written(hi, max((_pct(RESULTS[f"maxtext-v5e-{m}-x32"]) for m in sizes), key=abs))


def test_blackwell_bound() -> None:
    count, bound = _quoted(r"\*Blackwell\* .*?; (\d+) held out, within ([\d.]+)%")
    held = [r for r in REPORT.runs if r.family == "nvidia-blackwell" and not r.fitted]
    assert int(count) == len(held)
    assert max(abs(_pct(r)) for r in held) <= float(bound)


def test_gaudi2_held_out_figures() -> None:
    quoted = _quoted(r"Llama 3.1 70B on 64 cards ([+-][\d.]+)%, Llama 2 7B on 8 ([+-][\d.]+)%, "
                     r"Llama 2 13B on 16 ([+-][\d.]+)%")
    runs = ("gaudi2-llama31-70b-fp8", "gaudi2-llama2-7b-fp8", "gaudi2-llama2-13b-fp8")
    for written, run in zip(quoted, runs, strict=True):
        _same_as_written(written, _pct(RESULTS[run]))


def test_trainium_figures() -> None:
    """Rule v2 (calibration.toml): the fit rows' errors, the held-out median / worst, and the split between held-out
    rows of a new layout and fit-row layouts at another release (the runs-file notes label each)."""
    fit_median, median, worst, new_median, new_n, old_median, old_n = _quoted(
        r"fits 0\.46 on those ten rows \(fit errors median ([\d.]+)%\) .*?predicted\): median ([\d.]+)%, "
        r"worst (-\d+)% .*?"
        r"([\d.]+)% over the (\d+) rows of a new layout \(all too fast\) and ([\d.]+)% over the (\d+) fit-row layouts")
    trn1 = [r for r in REPORT.runs if r.family == "aws-trainium1"]
    fit = [r for r in trn1 if r.fitted]
    _same_as_written(fit_median, 100.0 * statistics.median(abs(r.error) for r in fit))
    summary = next(s for s in REPORT.by_family if s.group == "aws-trainium1")
    _same_as_written(median, 100.0 * summary.median_abs_error)
    _same_as_written(worst, _pct(RESULTS[summary.worst_run]))
    notes = {r["id"]: r["note"] for r in read_runs()}
    held = [r for r in trn1 if not r.fitted]
    splits = ((new_median, new_n, "NEW layout"), (old_median, old_n, "layout of fit row"))
    for written_median, written_n, label in splits:
        rows = [r for r in held if label in notes[r.id]]
        assert int(written_n) == len(rows), label
        _same_as_written(written_median, 100.0 * statistics.median(abs(r.error) for r in rows))
    assert all(r.error < 0 for r in held if "NEW layout" in notes[r.id])  # 'all too fast'


def test_serving_figures() -> None:
    median, count, hopper, blackwell = _quoted(r"Held-out median \|error\| \([\d-]+\): ([\d.]+)% over (\d+) rows "
                                               r"\(Hopper ([\d.]+)%, Blackwell ([\d.]+)%")
    res = validate_serving()
    _same_as_written(median, 100.0 * res.median_abs_error_held_out)
    assert int(count) == sum(r.role == "test" for r in res.runs)  # held out: 'gap' rows are in no median
    fam = {g.name: g for g in res.groups if g.group == "family"}
    _same_as_written(hopper, 100.0 * fam["nvidia-hopper"].median_abs_error)
    _same_as_written(blackwell, 100.0 * fam["nvidia-blackwell"].median_abs_error)


def test_bundled_run_count() -> None:
    (count,) = _quoted(r"(\d+) published runs bundled in")
    assert int(count) == len(REPORT.runs)


def test_serving_vendor_family_figures() -> None:
    """The per-family held-out medians and row counts the README quotes for the non-NVIDIA serving tables."""
    got = _quoted(r"AMD MI300X ([\d.]+)% over (\d+), Gaudi 3 ([\d.]+)% over (\d+), Gaudi 2 ([\d.]+)% over (\d+), "
                  r"TPU v6e ([\d.]+)% over (\d+), Trainium1 ([\d.]+)% over (\d+), `default` ([\d.]+)% over (\d+)")
    fam = {g.name: g for g in validate_serving().groups if g.group == "family"}
    names = ("amd-instinct-cdna3", "intel-gaudi3", "intel-gaudi2", "google-tpu-v6e", "aws-trainium1", "default")
    for name, median, rows in zip(names, got[0::2], got[1::2], strict=True):
        _same_as_written(median, 100.0 * fam[name].median_abs_error)
        assert int(rows) == fam[name].rows, name
