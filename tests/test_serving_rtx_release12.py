"""rrtx (issue 10, 2026-12-05): TensorRT-LLM v1.0's RTX PRO 6000 Llama 3.3 70B rows at --pp 4-8 against the same
benchmark in a later release of the same engine on the same device.

The v1.0 rows (runs file, source trtllm-v10-rtx) grow with --pp less than the model on prompts of 2,048 tokens or
fewer. The same page in release 1.2 (TensorRT-LLM docs/source/developer-guide/perf-overview.md, the copy in the public
code index, id 53206213621, whose text says 'As of `release/1.2`, support for B300 and GB300 is in beta' and 'For NUMA
systems, consult the "CPU Affinity configuration in TensorRT LLM" guide ... These options were enabled for relevant
tests', as the published 1.2.0 page nvidia.github.io/TensorRT-LLM/1.2.0/developer-guide/perf-overview.html does)
has a table 'LLaMA v3.3 70B - RTX 6000 Pro Blackwell Server Edition' at TP1 x PP 1/2/4/8 (FP4, the same
nvidia/Llama-3.3-70B-Instruct-FP4 checkpoint, trtllm-bench throughput, PyTorch backend, max load), in output tokens
per second per GPU. Its cells are predicted here exactly as validate predicts the v1.0 rows (the same preset, device,
nvfp4 weights, fp8 KV, trtllm-bench's max_batch_size heuristic per micro-batch: tests/test_trtllm_bench_limits.py;
that 1.2's heuristic is v1.0's is an assumption). Tolerance: issue 10's standing bound, 25% on every cell, not chosen
from the errors (the cells were first predicted in a scratch run before this test was written).

What the release table shows: at 1000/1000 (v1.0) vs 1024/1024 (1.2) the later release delivers about the same at
--pp 1 / 2 and x1.21 / x1.51 at --pp 4 / 8, and the model is within 25% of all 13 of its cells. The v1.0 rows' miss
at --pp 4-8 is that release's: a row whose error, once its published figure is scaled by the release ratio at its
--pp, is within 25% carries that as its checked reason (CHECKED). What changed between the releases is not
established here: the 1.2 page enabled NUMA-aware CPU affinity for relevant tests (PR #8805, opened 2025-10-30, adds
it and says TRT-LLM had until then cleared the workers' affinity); the fully non-blocking PP executor loop (PR
#10349) was merged to main on 2026-02-10, after release/1.2 branched (1.3.0rc4 the same week), so a release/1.2 run
would not have it (which build ran the table is not given).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import before_pp_host_loop, note_before_pp_host_loop
from test_trtllm_bench_limits import trtllm_bench_limits

from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict import serving
from accelopt.predict.serving_validation import _predict_row, read_serving_runs, row_calibration, row_device
from accelopt.workload.presets import get_model

ROWS = {r["id"]: r for r in read_serving_runs()[0] if r["source"] == "trtllm-v10-rtx"}


@pytest.fixture(autouse=True)
def _before_pp_host_loop() -> Iterator[None]:
    """This module recomputes the figures the rows' notes quote of the model before rpphost (2026-12-06), which
    charges TensorRT-LLM's blocking PP loop per request (tests/test_serving_pp_host_loop.py has the model since)."""
    with before_pp_host_loop():
        yield
L70 = "trt10-rtx6k-l33-70b-tp1-pp{pp}-{isl}-{osl}"
L405 = "trt10-rtx6k-l31-405b-tp1-pp8-{isl}-{osl}"
L405_PREFIX = "trt10-rtx6k-l31-405b-"
DEVICE = "rtx-pro-6000-server"
MOVES_NO_OTHER = "no other row of this table moves by 1 point or more (their decode steps are memory-bound)"
BOUND = 0.25  # issue 10's standing bound, not chosen from the release-1.2 cells' errors
PPS = (1, 2, 4, 8)

RELEASE_12_PER_GPU: dict[tuple[int, int], tuple[int | None, ...]] = {
    (1024, 1024): (1724, 1881, 1798, 1545),
    (1024, 8192): (None, None, 675, 630),
    (8192, 1024): (306, 329, 323, 307),
    (32768, 1024): (None, 66, 66, 64),
}
"""Release 1.2's table, output tokens/s per GPU at 1 / 2 / 4 / 8 GPUs (TP1,PP1 .. TP1,PP8); None: a blank cell."""

CHECKED = (L70.format(pp=4, isl=128, osl=2048), L70.format(pp=8, isl=128, osl=4096),
           L70.format(pp=8, isl=500, osl=2000), L70.format(pp=4, isl=1000, osl=1000),
           L70.format(pp=8, isl=1000, osl=1000), L70.format(pp=8, isl=1000, osl=2000),
           L70.format(pp=8, isl=2048, osl=128), L70.format(pp=8, isl=2048, osl=2048))
"""The v1.0 --pp 4-8 rows beyond 25% whose miss the release ratio at their --pp accounts for (checked notes)."""

DECODE_CHECKED = (*(L70.format(pp=pp, isl=128, osl=128) for pp in (1, 2, 4)), L405.format(isl=128, osl=128))
"""The 128/128 rows (the only ones of the table whose decode steps are compute-bound) that the engine's fitted decode
GEMM rate (with the release ratio at --pp 4) brings within 25% (checked notes)."""

DATASET_CHECKED = (L70.format(pp=8, isl=128, osl=2048),)
"""rtrt (2026-12-05): the row the release ratio leaves beyond 25% that the pages' finite datasets (NUM_REQUESTS) bring
within it with the ratio (checked note)."""

STILL_BEYOND = (L70.format(pp=8, isl=128, osl=128),)
"""The row none of these brings within 25% (UNEXPLAINED, its reason quotes the figures)."""

RECOMPUTED_IDS = frozenset((*CHECKED, *DECODE_CHECKED, *DATASET_CHECKED))  # tests/test_row_notes_checked.py

NUM_REQUESTS_V10 = {(128, 128): 30000, (128, 2048): 3000, (128, 4096): 1500, (1000, 2000): 1500, (2048, 128): 3000,
                    (2048, 2048): 1500, (5000, 500): 1500, (1000, 1000): 3000, (500, 2000): 3000, (20000, 2000): 1000}
"""The requests of each v1.0 dataset: docs/source/performance/perf-overview.md at NVIDIA/TensorRT-LLM@00f37686 (the
runs file's trtllm-v10 source), 'Preparing a Dataset', the `$num_requests` table ('all requests will be uniform')."""
NUM_REQUESTS_V12 = {(1024, 1024): 3000, (8192, 1024): 1500, (1024, 8192): 1500, (32768, 1024): 1000}
"""The same table in release 1.2's page (code index id 53206213621, 'Number of Requests')."""


def _release_12_row(isl: int, osl: int, pp: int) -> dict[str, str]:
    """A release-1.2 cell as a runs-file row: the v1.0 70B row's cells at these lengths and pp, max_batch_size from
    trtllm-bench's heuristic."""
    row = {**ROWS[L70.format(pp=1, isl=1000, osl=1000)], "id": f"rel12-pp{pp}-{isl}-{osl}", "pp": str(pp),
           "prompt_len": str(isl), "output_len": str(osl)}
    row["max_batch_size"] = str(trtllm_bench_limits(row)[0])
    return row


def _with_dataset(row: dict[str, str], n: int) -> float:
    """The row's predicted output tokens/s when its run is a dataset of n requests (rtrt, 2026-12-05): validate's
    max-load waves of the model's C requests in flight (scheduling 'waves'), ceil(n / C) of them, the last holding
    only what is left (the model's own prediction for that smaller wave), so n x OSL over the waves' time."""
    assert row["metric"] == "output_tok_s" and row["batch"] == "max"
    p = _predict_row(row, None, None)[1]
    c, waves, rest = _waves(row, n)
    spec = row_device(row["hardware"])
    last = serving.predict_serving(get_model(row["model"]), spec, batch=rest, scheduling="waves", tp=int(row["tp"]),
                                   pp=int(row["pp"]), prompt_len=int(row["prompt_len"]),
                                   output_len=int(row["output_len"]), weight_dtype=row["weight_dtype"],
                                   kv_dtype=row["kv_dtype"], calibration=row_calibration(row, spec, None, None))
    return n / ((waves - 1) * c / p.output_tokens_per_s + rest / last.output_tokens_per_s)


def _waves(row: dict[str, str], n: int) -> tuple[int, int, int]:
    """(requests in flight, waves, requests of the last wave) of a dataset of n requests."""
    c = _predict_row(row, None, None)[1].batch
    waves = -(-n // c)
    return c, waves, n - (waves - 1) * c


def _release_12_errors(dataset: bool = False) -> dict[tuple[int, int, int], float]:
    """(isl, osl, pp) -> the model's error against release 1.2's total throughput (per GPU x GPUs)."""
    out = {}
    for (isl, osl), cells in RELEASE_12_PER_GPU.items():
        for pp, per_gpu in zip(PPS, cells, strict=True):
            if per_gpu is not None:
                row = _release_12_row(isl, osl, pp)
                v = _with_dataset(row, NUM_REQUESTS_V12[isl, osl]) if dataset else _predict_row(row, None, None)[0]
                out[isl, osl, pp] = v / (per_gpu * pp) - 1.0
    return out


def release_ratio(pp: int) -> float:
    """Release 1.2's 1024/1024 total throughput over v1.0's 1000/1000 row at the same --pp (the nearest lengths the
    two tables share)."""
    return RELEASE_12_PER_GPU[1024, 1024][PPS.index(pp)] * pp / float(ROWS[L70.format(pp=pp, isl=1000,
                                                                                         osl=1000)]["published"])


def _err(rid: str) -> float:
    return _predict_row(ROWS[rid], None, None)[0] / float(ROWS[rid]["published"]) - 1.0


def _err_at_release_ratio(rid: str) -> float:
    """The row's error with its published figure scaled by the release ratio at its --pp."""
    return (1.0 + _err(rid)) / release_ratio(int(ROWS[rid]["pp"])) - 1.0


def release_sentence() -> str:
    """The sentence every note and UNEXPLAINED reason of these rows quotes (recomputed)."""
    errs = _release_12_errors()
    ratios = " / ".join(f"x{release_ratio(pp):.2f}" for pp in PPS)
    return (f"the same page in release 1.2 (its RTX PRO 6000 Llama 3.3 70B table, TP1 x PP 1/2/4/8, FP4, "
            f"trtllm-bench; code index id 53206213621) delivers {ratios} v1.0's throughput at --pp 1 / 2 / 4 / 8 "
            f"(1024/1024 vs 1000/1000), and the model is within {100 * min(errs.values()):+.0f}% to "
            f"{100 * max(errs.values()):+.0f}% of all {len(errs)} of its cells (1024/1024, 1024/8192, 8192/1024, "
            f"32768/1024)")


def _405b_others() -> list[float]:
    """The 405B's other five --pp 8 rows' errors, as published."""
    return [_err(L405.format(isl=i, osl=o)) for i, o in ((128, 2048), (1000, 1000), (1000, 2000), (2048, 128),
                                                         (2048, 2048))]


def row_sentence(rid: str) -> str:
    pp = int(ROWS[rid]["pp"])
    if rid.startswith(L405_PREFIX):
        scaled = [100 * ((1 + e) / release_ratio(pp) - 1) for e in _405b_others()]
        return (f"the 70B's ratio at --pp 8 (x{release_ratio(pp):.2f}) does not carry to the 405B: it would put this "
                f"row at {100 * _err_at_release_ratio(rid):+.1f}% but the 405B's other five --pp 8 rows, within "
                f"{100 * max(map(abs, _405b_others())):.0f}% as published, at {max(scaled):+.0f}% to "
                f"{min(scaled):+.0f}%")
    return (f"this row, its published figure scaled by the release ratio at --pp {pp} (x{release_ratio(pp):.2f}), "
            f"is at {100 * _err_at_release_ratio(rid):+.1f}% ({100 * _err(rid):+.1f}% as published)")


def engine_decode_rate() -> float:
    """TensorRT-LLM's large-batch decode GEMM efficiency: [serving.nvidia-hopper]'s, fitted on the engine's
    trtllm-bench v1.0 H100 rows (declared fit rows), carried to [serving.nvidia-blackwell] as the engine's."""
    cals = serving.serving_calibrations()
    rate = cals["nvidia-hopper"].decode_compute_efficiency
    assert cals["nvidia-blackwell"].decode_compute_efficiency == rate
    return rate


def _err_at_engine_decode_rate(rid: str, dataset: bool = False) -> float:
    """The row with this device's decode_compute_efficiency ([serving.default]'s unfitted 0.6) set to the engine's
    fitted one: a trial, not adopted (the rows' notes say why); dataset: with the page's finite dataset too."""
    own = serving.calibration_for_spec

    def calibration_for_spec(spec: AcceleratorSpec,
                             calibration: serving.ServingCalibration = serving.DEFAULT_CALIBRATION,
                             path: str | None = None, engine: str | None = None) -> serving.ServingCalibration:
        cal = own(spec, calibration, path, engine=engine)
        return replace(cal, decode_compute_efficiency=engine_decode_rate()) if spec.name == DEVICE else cal

    with pytest.MonkeyPatch.context() as m:
        m.setattr(serving, "calibration_for_spec", calibration_for_spec)
        return _err_with_dataset(rid) if dataset else _err(rid)


def _err_with_dataset(rid: str) -> float:
    row = ROWS[rid]
    return _with_dataset(row, NUM_REQUESTS_V10[int(row["prompt_len"]), int(row["output_len"])]) / float(
        row["published"]) - 1.0


def dataset_sentence(rid: str) -> str:
    """What the pp 8 128/2048 row's checked note and the 128/128 row's reason quote of the finite datasets (rtrt)."""
    row = ROWS[rid]
    isl, osl = int(row["prompt_len"]), int(row["output_len"])
    n = NUM_REQUESTS_V10[isl, osl]
    c, waves, rest = _waves(row, n)
    err = _err_with_dataset(rid)
    e12 = _release_12_errors(dataset=True)
    text = (f"the page's dataset is finite (perf-overview.md at 00f37686, 'Preparing a Dataset': $num_requests {n} "
            f"at {isl}/{osl}, all of one length): at the model's {c} requests in flight it runs in {waves} waves, the "
            f"last of {rest}, which validate's steady waves do not charge; so charged, this row is at {100 * err:+.1f}%"
            f" ({100 * ((1 + err) / release_ratio(8) - 1):+.1f}% with the release ratio at --pp 8")
    if "-128-128" in rid:
        text += (f", {100 * ((1 + _err_at_engine_decode_rate(rid, dataset=True)) / release_ratio(8) - 1):+.1f}% "
                 "with the decode rate 0.35 too")
    return text + (f"), and with release 1.2's datasets (3000 requests at 1024/1024, 1500 at 1024/8192 and 8192/1024, "
                   f"1000 at 32768/1024) the model is within {100 * min(e12.values()):+.1f}% to "
                   f"{100 * max(e12.values()):+.1f}% of that release's 13 cells")


def decode_sentence(rid: str) -> str:
    """What the decode-rate trial quotes for a 128/128 row (recomputed)."""
    _, p = _predict_row(ROWS[rid], None, None)
    st, own = p.decode_step, p.calibration.decode_compute_efficiency
    err = _err_at_engine_decode_rate(rid)
    text = (f"its decode steps are compute-bound ({st.compute_s * 1e3:.1f} ms of GEMMs against "
            f"{st.memory_s * 1e3:.1f} ms of memory traffic, at {p.batch} requests in flight), charged at this "
            f"device's [serving.default] decode_compute_efficiency {own:.2f}, an unfitted estimate, where "
            f"TensorRT-LLM's fitted tables give its large-batch decode GEMMs {engine_decode_rate():.2f} "
            f"([serving.nvidia-hopper], "
            f"fitted on the engine's trtllm-bench rows, carried to [serving.nvidia-blackwell]); at "
            f"{engine_decode_rate():.2f} this row is at {100 * err:+.1f}% ({100 * _err(rid):+.1f}% as published)")
    pp = int(ROWS[rid]["pp"])
    if pp >= 4 and not rid.startswith(L405_PREFIX):
        text += (f", and with the release ratio at --pp {pp} (x{release_ratio(pp):.2f}) at "
                 f"{100 * ((1 + err) / release_ratio(pp) - 1):+.1f}%")
    return text


def release_time_s(pp: int) -> float:
    """v1.0's extra time per output token over release 1.2 at this --pp (1000/1000 vs 1024/1024): the release
    difference read as an additive time per output token, the form rtxpp2 saw the rows' miss take."""
    return (1.0 / float(ROWS[L70.format(pp=pp, isl=1000, osl=1000)]["published"])
            - 1.0 / (RELEASE_12_PER_GPU[1024, 1024][PPS.index(pp)] * pp))


def _err_at_release_time(rid: str, err: float) -> float:
    """A row's error `err` against its published figure with release_time_s taken off each output token."""
    pub = float(ROWS[rid]["published"])
    return (1 + err) * pub * (1.0 / pub - release_time_s(int(ROWS[rid]["pp"]))) - 1.0


def additive_sentence(rid: str) -> str:
    """What the two rows left beyond 25% quote of the additive form (recomputed)."""
    pp = int(ROWS[rid]["pp"])
    at = _err_at_release_time(rid, _err(rid))
    text = (f"read instead as an additive time per output token (v1.0's {release_time_s(pp) * 1e6:.1f} us more than "
            f"release 1.2's at --pp {pp}, 1000/1000 vs 1024/1024; rtxpp2 saw the miss take that form), this row is "
            f"at {100 * at:+.1f}%")
    if "-128-128" in rid:
        text += f" ({100 * _err_at_release_time(rid, _err_at_engine_decode_rate(rid)):+.1f}% at the decode rate 0.35)"
    other = L70.format(pp=8, isl=1000, osl=2000)
    return text + (f", but that form leaves {other} at {100 * _err_at_release_time(other, _err(other)):+.1f}%: "
                   "neither form brings all twelve 70B --pp 2-8 rows within 25%, and which one the release change "
                   "follows is not established")


def test_the_model_reproduces_the_release_12_table() -> None:
    errs = _release_12_errors()
    assert len(errs) == 13
    assert all(abs(e) <= BOUND for e in errs.values()), errs
    # at --pp 8 the later release's 1024/1024 cell is the furthest (+17.4%), its decode-heavy and long-prompt cells
    # within 10.3%
    assert max(errs, key=lambda k: abs(errs[k])) == (1024, 1024, 8)


def test_the_release_ratio_is_at_pp_4_and_8_only() -> None:
    """Release 1.2 equals v1.0 at --pp 1 / 2 (within 4%) and exceeds it 1.21x / 1.51x at --pp 4 / 8."""
    assert [round(release_ratio(pp), 2) for pp in PPS] == [0.96, 1.01, 1.21, 1.51]
    assert all(abs(release_ratio(pp) - 1) < 0.04 for pp in (1, 2))


@pytest.mark.parametrize("rid", CHECKED)
def test_the_release_ratio_brings_the_checked_rows_within_25pct(rid: str) -> None:
    assert abs(_err(rid)) > BOUND and int(ROWS[rid]["pp"]) >= 4
    assert abs(_err_at_release_ratio(rid)) <= BOUND
    note = " ".join(ROWS[rid]["note"].split())
    assert note_before_pp_host_loop(note).startswith("checked (rrtx, 2026-12-05):"), rid
    assert release_sentence() in note and row_sentence(rid) in note, rid


@pytest.mark.parametrize("rid", DECODE_CHECKED)
def test_the_engines_decode_rate_brings_the_128_128_rows_within_25pct(rid: str) -> None:
    """The 128/128 rows keep the most requests in flight (1230 at --pp 1 up to trtllm-bench's 4096), the only rows of
    the table whose decode steps are compute-bound; at the engine's fitted decode GEMM rate they come within 25% (the
    --pp 4 row with the release ratio too), and no other row of the table moves. Not adopted: the device is on
    [serving.default], shared by every uncalibrated device and engine, and the engine's 0.35 leaves its own 128/128
    max-load rows on H100 / H200 / B200 / GB200 13-23% too slow (trt10-h200-l3-70b-tp1-128-128's note)."""
    _, p = _predict_row(ROWS[rid], None, None)
    assert p.decode_step.compute_s > p.decode_step.memory_s
    assert abs(_err(rid)) > BOUND
    err = _err_at_engine_decode_rate(rid)
    pp = int(ROWS[rid]["pp"])
    scaled = (1 + err) / release_ratio(pp) - 1 if pp >= 4 and not rid.startswith(L405_PREFIX) else err
    assert abs(scaled) <= BOUND
    note = " ".join(ROWS[rid]["note"].split())
    assert note_before_pp_host_loop(note).startswith("checked (rrtx, 2026-12-05):"), rid
    assert decode_sentence(rid) in note, rid
    if pp >= 4 and not rid.startswith(L405_PREFIX):
        assert release_sentence() in note


def test_the_engines_decode_rate_moves_only_the_compute_bound_rows() -> None:
    for rid in ROWS:
        _, p = _predict_row(ROWS[rid], None, None)
        bound = p.decode_step.compute_s > p.decode_step.memory_s
        assert bound == ("-128-128" in rid), rid
        if not bound:  # a few decode steps of the 128/2048 rows are compute-bound: < 1 point
            assert abs(_err_at_engine_decode_rate(rid) - _err(rid)) < 0.01, rid
    for rid in DECODE_CHECKED:
        assert MOVES_NO_OTHER in " ".join(ROWS[rid]["note"].split()), rid


@pytest.mark.parametrize("rid", (*DATASET_CHECKED, *STILL_BEYOND))
def test_the_release_ratio_leaves_two_rows_beyond_25pct(rid: str) -> None:
    from test_row_notes_checked import LEFT_UNEXPLAINED, UNEXPLAINED
    UNEXPLAINED = {**UNEXPLAINED, **LEFT_UNEXPLAINED}  # as the notes were written (rpphost: one row left)

    assert abs(_err(rid)) > BOUND and abs(_err_at_release_ratio(rid)) > BOUND
    said = f"Examined (rrtx, 2026-12-05): {release_sentence()}; {row_sentence(rid)}"
    if "-128-128" in rid:  # with the engine's decode rate too
        err = _err_at_engine_decode_rate(rid)
        assert abs((1 + err) / release_ratio(8) - 1) > BOUND
        said += f"; {decode_sentence(rid)}"
    said += f"; {additive_sentence(rid)}"
    other = L70.format(pp=8, isl=1000, osl=2000)
    assert abs(_err_at_release_time(other, _err(other))) > BOUND  # so the additive form is not a checked reason
    assert said in " ".join(ROWS[rid]["note"].split()), rid
    if rid in STILL_BEYOND:
        assert said in " ".join(UNEXPLAINED[rid].split()), rid


@pytest.mark.parametrize("rid", (*DATASET_CHECKED, *STILL_BEYOND))
def test_the_finite_dataset(rid: str) -> None:
    """rtrt (2026-12-05): trtllm-bench ran a dataset of $num_requests uniform requests (the page's table), so at --pp 8,
    where the model keeps the most requests in flight, the last wave is a partial one: with it and the release ratio
    the 128/2048 row comes within 25% (checked), the 128/128 one does not (UNEXPLAINED, with the decode rate 0.35
    too); with release 1.2's own datasets the model stays within 25% of all 13 of its cells (the ratio's basis)."""
    from test_row_notes_checked import LEFT_UNEXPLAINED, UNEXPLAINED
    UNEXPLAINED = {**UNEXPLAINED, **LEFT_UNEXPLAINED}  # as the notes were written (rpphost: one row left)

    e12 = _release_12_errors(dataset=True)
    assert len(e12) == 13 and all(abs(e) <= BOUND for e in e12.values())
    err = _err_with_dataset(rid)
    scaled = (1 + err) / release_ratio(8) - 1
    note = " ".join(ROWS[rid]["note"].split())
    assert dataset_sentence(rid) in note, rid
    if rid in DATASET_CHECKED:
        assert abs(err) > BOUND and abs(scaled) <= BOUND
        assert note_before_pp_host_loop(note).startswith("checked (rtrt, 2026-12-05):") and rid not in UNEXPLAINED
        assert release_sentence() in note and row_sentence(rid) in note
    else:
        assert abs(scaled) > BOUND
        assert abs((1 + _err_at_engine_decode_rate(rid, dataset=True)) / release_ratio(8) - 1) > BOUND
        assert dataset_sentence(rid) in " ".join(UNEXPLAINED[rid].split())


def test_the_finite_dataset_on_the_whole_table() -> None:
    """The runs file's record (trtllm-v10-rtx block, rtrt): the 46 rows with the pages' finite datasets, before ->
    after (not adopted in the model: it applies to every trtllm-bench max-load row, fit rows among them)."""
    import statistics

    now = {rid: abs(_err(rid)) for rid in ROWS}
    so = {rid: abs(_err_with_dataset(rid)) for rid in ROWS}
    figs = [(f"{100 * statistics.median(d.values()):.2f}%", sum(v <= 0.06 for v in d.values()),
             sum(v > 0.25 for v in d.values())) for d in (now, so)]
    assert len(now) == 46 and statistics.median(so.values()) < statistics.median(now.values())
    assert figs[1][2] < figs[0][2] and figs[1][1] > figs[0][1]
    words = (f"the table's {len(now)} rows go from a {figs[0][0]} to a {figs[1][0]} median |error|, within 6% "
             f"{figs[0][1]} -> {figs[1][1]}, beyond 25% {figs[0][2]} -> {figs[1][2]}")
    block = (Path(__file__).parent.parent / "src/accelopt/predict/data/published_serving_runs.csv").read_text(
        encoding="utf-8")
    assert words in " ".join(block.replace("#", " ").split()), words


def test_every_rtx_row_beyond_25pct_is_checked_here_or_unexplained() -> None:
    from test_row_notes_checked import LEFT_UNEXPLAINED, UNEXPLAINED
    UNEXPLAINED = {**UNEXPLAINED, **LEFT_UNEXPLAINED}  # as the notes were written (rpphost: one row left)

    beyond = {rid for rid in ROWS if abs(_err(rid)) > BOUND}
    assert beyond == set(CHECKED) | set(DECODE_CHECKED) | set(DATASET_CHECKED) | set(STILL_BEYOND)
    assert not RECOMPUTED_IDS & set(UNEXPLAINED)
