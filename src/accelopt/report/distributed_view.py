"""Distributed runs and collective benchmarks on the console and in the HTML report.

The console renders the typed results (DistributedResult, CollectivesResult); the HTML page, the history and
`history compare` read the same result as the JSON document `--json` prints (to_dict), like every other kind.
"""

from __future__ import annotations

from typing import Any

from accelopt.distributed.types import CollectivesResult, DistributedResult
from accelopt.units import fmt_byte_per_s, fmt_bytes, fmt_pct, fmt_seconds


def _pct(x: float | None) -> str:
    return fmt_pct(x) if x is not None else "n/a"


def render(result: DistributedResult, console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    sched = f", {result.schedule} schedule, {result.microbatches} micro-batches" if result.schedule else ""
    t = Table(title=Text(f"accelopt profile — {result.name}: {result.parallel} on {result.nproc} x {result.nnodes} "
                         f"ranks ({result.backend}, {result.device}){sched}"))
    for col in ("rank", "stage", "step median", "collectives", "overlapped", "exposed", "compute", "peak memory"):
        t.add_column(col, justify="right")
    for r in result.ranks:
        t.add_row(str(r.rank), "-" if r.stage is None else str(r.stage), fmt_seconds(r.step_median_s),
                  fmt_seconds(r.comm.comm_s), _pct(r.comm.overlap_fraction), fmt_seconds(r.comm.exposed_s),
                  fmt_seconds(r.comm.compute_s), fmt_bytes(r.peak_memory_bytes, binary=True))
    console.print(t)
    console.print(f"step (slowest rank's median): {fmt_seconds(result.step_median_s)}; straggler: rank "
                  f"{result.slowest_rank} at {result.straggler_ratio:.2f}x the median rank", highlight=False)
    if result.single is not None:
        console.print(f"one process, same global batch {result.global_batch}: "
                      f"{fmt_seconds(result.single.step_median_s)} -> speedup {result.speedup:.2f}x, scaling "
                      f"efficiency {_pct(result.scaling_efficiency)} (T1 / (N x TN), "
                      f"{result.environment.get('threads_per_rank')} thread(s) per process)", highlight=False)
    first = result.ranks[0]
    console.print(Text(f"collectives and compute: per profiled step, from each rank's torch.profiler trace; peak "
                       f"memory: {first.memory_source}"), style="dim")
    if result.partition is not None:
        p = result.partition
        console.print(f"pipeline split (balanced, from profiled layer times): stages start at layers "
                      f"{p.balanced.bounds[:-1]}, balance {p.balanced.balance:.2f} (slowest / mean stage) vs the "
                      f"equal-layer split {p.naive.bounds[:-1]}: {p.naive.balance:.2f}", highlight=False)
    if result.prediction is not None:
        _render_prediction(result, console)
    else:
        console.print("plan's prediction: left out (no catalog entry for this device; pass --probed SPEC.toml or "
                      "--catalog-device NAME)", highlight=False)


def _render_prediction(result: DistributedResult, console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    pr = result.prediction
    assert pr is not None
    t = Table(title=Text(f"plan's prediction (estimate) on {pr.device} vs measured"))
    for col in ("term", "predicted (estimate)", "measured", "error"):
        t.add_column(col, justify="right")
    for term in pr.terms:
        err = f"{100 * term.error:+.0f}%" if term.error is not None else "n/a"
        t.add_row(term.term, fmt_seconds(term.predicted_s), fmt_seconds(term.measured_s), err)
    console.print(t)
    console.print(Text(f"links: {pr.link_source}; " + "; ".join(pr.notes)), style="dim")


def render_collectives(result: CollectivesResult, console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(f"accelopt probe --collectives — {result.backend} on {result.nranks} ranks "
                         f"({result.device})"))
    for col in ("collective", "size", "time", "algbw", "busbw"):
        t.add_column(col, justify="right")
    for f in result.figures:
        t.add_row(f.op, fmt_bytes(f.size_bytes, binary=True), fmt_seconds(f.time_s),
                  fmt_byte_per_s(f.algbw_byte_per_s), fmt_byte_per_s(f.busbw_byte_per_s))
    console.print(t)
    console.print(f"link for plan: bandwidth {fmt_byte_per_s(result.link_bandwidth_byte_per_s)} (all-reduce busbw at "
                  f"the largest size), latency {fmt_seconds(result.link_latency_s)} (ring-model fit)", highlight=False)
    console.print(Text("algbw = S/t; busbw = algbw x 2(n-1)/n (all-reduce), x (n-1)/n (all-gather, reduce-scatter, "
                       "all-to-all): nccl-tests doc/PERFORMANCE.md"), style="dim")


# ---- HTML: tables and plots from the JSON result ------------------------------------------------------------

def html_tables(r: dict[str, Any]) -> list[Any]:
    from accelopt.report.html import Table, _g

    ranks = Table("ranks", ["rank", "stage", "step median (s)", "collectives (s)", "overlap", "exposed (s)",
                            "compute (s)", "peak memory (B)"])
    for x in r.get("ranks", []):
        c = x.get("comm", {})
        ranks.rows.append([str(x.get("rank")), str(x.get("stage")), _g(x.get("step_median_s")), _g(c.get("comm_s")),
                           _g(c.get("overlap_fraction")), _g(c.get("exposed_s")), _g(c.get("compute_s")),
                           _g(x.get("peak_memory_bytes"))])
    out = [ranks]
    pred = r.get("prediction")
    if pred:
        t = Table(f"plan's prediction on {pred.get('device')} vs measured", ["term", "predicted (s)", "measured (s)",
                                                                               "error"], est_cols={1},
                  note=f"links: {pred.get('link_source')}")
        t.rows = [[x["term"], _g(x.get("predicted_s")), _g(x.get("measured_s")), _g(x.get("error"))]
                  for x in pred.get("terms", [])]
        out.append(t)
    return out


def html_plots(r: dict[str, Any]) -> list[tuple[str, str]]:
    from accelopt.report.plots import _figure, to_svg

    out = []
    ranks = r.get("ranks") or []
    if ranks:
        fig = _figure(7.0, 0.9 + 0.45 * len(ranks))
        ax = fig.add_subplot()
        names = [f"rank {x['rank']}" for x in ranks]
        comp = [1e3 * x["comm"]["compute_s"] for x in ranks]
        over = [1e3 * x["comm"]["overlapped_s"] for x in ranks]
        expo = [1e3 * x["comm"]["exposed_s"] for x in ranks]
        ax.barh(names, comp, color="#3b7dd8", label="compute")
        ax.barh(names, expo, left=comp, color="#d8573b", label="collectives, exposed")
        ax.barh(names, over, left=[a + b for a, b in zip(comp, expo, strict=True)], color="#f0b35a",
                label="collectives, overlapped with compute")
        ax.invert_yaxis()
        ax.set_xlabel("ms per profiled step")
        ax.legend(fontsize=7)
        out.append(("distributed: per-rank time per step (torch.profiler trace of each rank)", to_svg(fig)))
    part = r.get("partition")
    if part:
        fig = _figure(7.0, 3.0)
        ax = fig.add_subplot()
        bal, naive = part["balanced"]["stage_times_s"], part["naive"]["stage_times_s"]
        xs = range(len(bal))
        ax.bar([x - 0.2 for x in xs], [1e3 * v for v in naive], width=0.4, color="#999", label="equal layers")
        ax.bar([x + 0.2 for x in xs], [1e3 * v for v in bal], width=0.4, color="#3b7dd8", label="balanced")
        ax.set_xticks(list(xs), [f"stage {x}" for x in xs])
        ax.set_ylabel("fwd+bwd per micro-batch (ms)")
        ax.legend(fontsize=7)
        out.append(("pipeline: stage times of the balanced and the equal-layer split (profiled layer times)",
                    to_svg(fig)))
    return out


def key_figures(r: dict[str, Any]) -> list[Any]:
    from accelopt.report.figures import KeyFigure, _num

    return [KeyFigure("step time (slowest rank's median)", _num(r.get("step_median_s")), "s"),
            KeyFigure("scaling efficiency", _num(r.get("scaling_efficiency")), "fraction"),
            KeyFigure("straggler (slowest / median rank)", _num(r.get("straggler_ratio")), "count"),
            KeyFigure("ranks", _num(r.get("nproc")), "count")]
