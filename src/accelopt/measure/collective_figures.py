"""Typed results of the collective benchmark (`accelopt probe --collectives`), with units.

The benchmark itself runs ranks under torch.distributed (accelopt.distributed.collectives); its result lives
here, beside the probe's other measurements, so that `ProbeResult` (this tier) can carry it in its JSON document,
history record and HTML page. Definitions of algbw and busbw: nccl-tests doc/PERFORMANCE.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from accelopt.measure.contention import LINK_WARNING_MARK, ContentionReport
from accelopt.units import unit

LATENCY_FIT = ("a of the line t = a + b S through the smallest and the largest all-reduce, / (2 (p-1)) (Hockney's "
               "t0 from the shortest message, r_inf from the longest: R. W. Hockney, Parallel Computing 20(3), 1994)")
"""How the link latency is found (the source text of the measured link says it): the ring model's alpha."""
BANDWIDTH_FIT = ("2(p-1)/p / b of that line: the all-reduce busbw as S grows (Hockney's r_inf), so that the ring "
                 "model passes through the smallest and the largest all-reduce")
"""How the link bandwidth is found (in the source text of the measured link). Before it, a probe saved the busbw at
the largest size, 2(p-1)/p S / t, whose t holds the latency a as well: the ring model then counted a twice at that
size (gloo on 2 CPU ranks: a 4 MiB all-reduce of 5.17 ms modelled as 8.7 ms, +68%)."""
LATENCY_FIT_LEAST_SQUARES = "intercept of t = a + b S over sizes / (2 (p-1))"
"""The method of probe documents before schema version 8: a least-squares line, whose intercept the large sizes set
(1 KiB measured 134 us where the line said 12 us)."""
LINK_MODEL_MAX_ERROR = 0.25
"""Past this |relative error| of plan's ring model against a measured all-reduce time the link is warned of: the
bound past which a prediction row needs a checked reason (issue #10), stated before any collective was measured."""

LINK_FIT_MARK = "; WARNING, poor ring-model fit: "
"""Joins the measured link's method text and its link_warning in the source `probe --collectives` saves in the spec
TOML, which `plan --collectives` prints (link_fit_warning)."""


def link_fit_warning(source: str) -> str | None:
    """The poor-fit warning a measured link's saved source carries, None for a link whose model fits."""
    warning = source.partition(LINK_FIT_MARK)[2].partition(LINK_WARNING_MARK)[0]
    return warning or None


def ring_model_s(size_bytes: int, nranks: int, latency_s: float, bandwidth_byte_per_s: float) -> float:
    """plan's ring all-reduce, predict/comm.py: T = 2(p-1) alpha + 2(p-1)/p S / B."""
    return 2 * (nranks - 1) * latency_s + 2 * (nranks - 1) / nranks * size_bytes / bandwidth_byte_per_s


def half_ring_model_s(size_bytes: int, nranks: int, latency_s: float, bandwidth_byte_per_s: float) -> float:
    """plan's all-gather, reduce-scatter and all-to-all, predict/comm.py: T = (p-1) alpha + (p-1)/p S / B (S as
    nccl-tests' size: the gathered output, the scattered input, the send buffer)."""
    return (nranks - 1) * latency_s + (nranks - 1) / nranks * size_bytes / bandwidth_byte_per_s


OTHER_OPS = ("all_gather", "reduce_scatter", "all_to_all")
"""The collectives plan models with the half-ring formula (half_ring_model_s) on the all-reduce's link."""


def plan_model_s(op: str, size_bytes: int, nranks: int, latency_s: float, bandwidth_byte_per_s: float) -> float:
    """plan's time for one collective of nccl-tests' size S on a link (alpha, B), predict/comm.py: the ring all-reduce
    (ring_model_s), the half ring for all-gather, reduce-scatter and all-to-all (half_ring_model_s)."""
    model = ring_model_s if op == "all_reduce" else half_ring_model_s
    return model(size_bytes, nranks, latency_s, bandwidth_byte_per_s)


def other_ops_model_errors(figs: list[CollectiveFigure], nranks: int, latency_s: float,
                           bandwidth_byte_per_s: float) -> list[tuple[str, float, int]]:
    """(op, model / measured - 1, size) at the size where plan's half-ring model with this link misses each measured
    all-gather, reduce-scatter and all-to-all most; ops not measured are left out."""
    out = []
    for op in OTHER_OPS:
        errors = [(half_ring_model_s(f.size_bytes, nranks, latency_s, bandwidth_byte_per_s) / f.time_s - 1,
                   f.size_bytes) for f in figs if f.op == op]
        if errors:
            error, size = max(errors, key=lambda e: abs(e[0]))
            out.append((op, error, size))
    return out


def other_ops_model_checks(figs: list[CollectiveFigure], nranks: int, latency_s: float,
                           bandwidth_byte_per_s: float) -> list[OpModelCheck]:
    """other_ops_model_errors judged by the tolerance (LINK_MODEL_MAX_ERROR), as the probe's JSON keeps them."""
    return [OpModelCheck(op=op, error=error, size_bytes=size, tolerance=LINK_MODEL_MAX_ERROR,
                         within_tolerance=abs(error) <= LINK_MODEL_MAX_ERROR)
            for op, error, size in other_ops_model_errors(figs, nranks, latency_s, bandwidth_byte_per_s)]


def _judged(error: float) -> str:
    return "within" if abs(error) <= LINK_MODEL_MAX_ERROR else "BEYOND"


MODEL_COLUMNS_TEXT = ("plan's model: plan's time for the same collective and size on the link for plan above, "
                      "all-reduce 2(p-1) alpha + 2(p-1)/p S / B, the others (p-1) alpha + (p-1)/p S / B "
                      "(predict/comm.py); model error: model / measured - 1")
"""How the console and the page explain the columns of plan's model beside each measured collective."""

TOLERANCE_TEXT = f"tolerance +-{LINK_MODEL_MAX_ERROR:.0%}"
"""How the check of plan's collective models against the measured times states its bound (LINK_MODEL_MAX_ERROR)."""


@dataclass(kw_only=True)
class CollectiveFigure:
    """One collective at one message size; definitions of nccl-tests doc/PERFORMANCE.md."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"algbw_byte_per_s": "B/s", "busbw_byte_per_s": "B/s",
                                               "spread": "fraction", "model_error": "fraction"}

    op: str
    """all_reduce, all_gather, reduce_scatter or all_to_all."""
    size_bytes: int = unit("B", "nccl-tests' S: bytes per rank (all-reduce: the buffer; all-gather: the output)")
    time_s: float = unit("s", "median over repeats of the slowest rank's time")
    nranks: int = unit("count")
    p10_s: float | None = unit("s", "10th percentile over repeats of the slowest rank's time (null in records "
                                    "written before it was kept)", default=None)
    p90_s: float | None = unit("s", "90th percentile, as p10_s", default=None)
    asked_size_bytes: int | None = unit(
        "B", "the size asked for where the ranks moved another (size_bytes): whole fp32 elements, a multiple of the "
             "rank count and at least one a rank, so 1 B over 2 ranks moves 8 B; null where they are the same (and in "
             "documents written before it was kept)", default=None)
    model_time_s: float | None = unit(
        "s", "plan's time for this collective and size with the link figures of the same run (link_latency_s, "
             "link_bandwidth_byte_per_s), predict/comm.py: all-reduce 2(p-1) alpha + 2(p-1)/p S / B, the others "
             "(p-1) alpha + (p-1)/p S / B; null in documents before probe schema 12", default=None)

    @property
    def model_error(self) -> float | None:
        """model_time_s / time_s - 1: how far plan's model with this run's link misses this figure; None without it."""
        if self.model_time_s is None or self.time_s <= 0:
            return None
        return self.model_time_s / self.time_s - 1

    @property
    def size_text(self) -> str:
        """'8 B (asked 1 B)': the size moved, with the size asked for beside it where they differ."""
        from accelopt.units import fmt_bytes

        moved = fmt_bytes(self.size_bytes, binary=True)
        if self.asked_size_bytes is None:
            return moved
        return f"{moved} (asked {fmt_bytes(self.asked_size_bytes, binary=True)})"

    @property
    def spread(self) -> float | None:
        """(p90 - p10) / median of the repeat times: 0 for a steady measurement; None without p10/p90."""
        if self.p10_s is None or self.p90_s is None or self.time_s <= 0:
            return None
        return (self.p90_s - self.p10_s) / self.time_s

    @property
    def algbw_byte_per_s(self) -> float:
        """algbw = S / t."""
        return self.size_bytes / self.time_s

    @property
    def busbw_byte_per_s(self) -> float:
        """busbw = algbw x 2(n-1)/n (all-reduce), x (n-1)/n (all-gather, reduce-scatter, all-to-all)."""
        n = self.nranks
        factor = 2 * (n - 1) / n if self.op == "all_reduce" else (n - 1) / n
        return self.algbw_byte_per_s * factor


@dataclass(kw_only=True)
class OpModelCheck:
    """plan's model of one collective with the measured link against its measured times, at its worst size."""

    op: str
    """all_gather, reduce_scatter or all_to_all (half_ring_model_s)."""
    error: float = unit("fraction", "model / measured - 1 at size_bytes, the size where it is largest")
    size_bytes: int = unit("B", "the size (nccl-tests' S) of error")
    tolerance: float = unit("fraction", "the |error| judged within: LINK_MODEL_MAX_ERROR, stated before any "
                                        "collective was measured")
    within_tolerance: bool


@dataclass(kw_only=True)
class CollectivesResult:
    """Collective times over `nranks` ranks of this machine, and the link figures `plan` takes from them."""

    DEFINITIONS: ClassVar[str] = ("nccl-tests doc/PERFORMANCE.md: algbw = S/t; busbw = algbw x 2(n-1)/n for "
                                  "all-reduce, x (n-1)/n for all-gather, reduce-scatter and all-to-all")

    backend: str
    device: str
    nranks: int = unit("count")
    figures: list[CollectiveFigure]
    link_bandwidth_byte_per_s: float = unit(
        "B/s", "the per-rank link bandwidth B of plan's ring model: 2(p-1)/p / b of the line t = a + b S through the "
               "smallest and the largest all-reduce (its busbw as S grows); the busbw at the largest size where that "
               "line fails (as latency_how says) and in probes whose source does not name the line's slope")
    link_latency_s: float = unit("s", "alpha of plan's ring model: a / (2(p-1)) of the line t = a + b S through the "
                                      "smallest and the largest all-reduce (documents before schema 8: a "
                                      "least-squares line through every size)")
    source: str
    """Method text cited in the spec file."""
    link_model_error: float | None = unit(
        "fraction", "plan's ring model with this link, 2(p-1) latency + 2(p-1)/p S / bandwidth, against the measured "
                    "all-reduce times: its relative error (model / measured - 1) at the size where it is largest; null "
                    "in documents written before it was kept", default=None)
    link_model_error_size_bytes: int | None = unit("B", "the all-reduce size of link_model_error", default=None)
    link_warning: str | None = None
    """Why plan's all-reduce times with this link are not to be trusted (link_model_error past
    LINK_MODEL_MAX_ERROR), or None."""
    link_model_tolerance: float = unit(
        "fraction", "the |link_model_error| judged within (LINK_MODEL_MAX_ERROR); past it link_warning says so",
        default=LINK_MODEL_MAX_ERROR)
    other_ops_model_checks: list[OpModelCheck] = field(default_factory=list)
    """plan's half-ring model of each measured all-gather, reduce-scatter and all-to-all with this link, judged by the
    tolerance (empty in documents written before it was kept: other_ops_model_text then recomputes it)."""
    contention: ContentionReport = field(default_factory=ContentionReport)
    """Signs that the machine was busy while the collectives ran (others' CPU time, steal, a figure's repeats
    spread or bimodal), and which figures they disturbed (e.g. 'all_reduce 4 MiB', 'link for plan')."""

    @property
    def latency_how(self) -> str:
        """How link_latency_s was found, as the console says it (the method is recorded in `source`)."""
        if LATENCY_FIT in self.source:
            return "ring-model line through the smallest and largest all-reduce"
        if LATENCY_FIT_LEAST_SQUARES in self.source:  # a probe before schema 8
            return "least-squares ring-model fit of an older probe: may be far below the small messages' time"
        if len(self.all_reduce_sizes) < 2:  # a run cut short after one size (no link is saved from it)
            return ("smallest all-reduce time / 2(p-1), an upper bound: one all-reduce size was measured, which "
                    "cannot tell the latency from the bandwidth")
        return "smallest all-reduce time / 2(p-1), an upper bound: the ring-model line crossed zero"

    @property
    def all_reduce_sizes(self) -> list[int]:
        """The distinct all-reduce sizes measured (bytes moved), smallest first."""
        return sorted({f.size_bytes for f in self.of("all_reduce")})

    @property
    def bandwidth_how(self) -> str:
        """How link_bandwidth_byte_per_s was found, as the console says it (the method is recorded in `source`)."""
        if BANDWIDTH_FIT in self.source:
            return "all-reduce busbw as S grows: the slope of that line"
        return "all-reduce busbw at the largest size"

    @property
    def model_error_text(self) -> str:
        """'ring model within +8% of the measured all-reduce (worst at 1 KiB)', or '' in an older document."""
        from accelopt.units import fmt_bytes

        if self.link_model_error is None or self.link_model_error_size_bytes is None:
            return ""
        if len(self.all_reduce_sizes) == 2 and LATENCY_FIT in self.source:  # the line was drawn through both
            return ("ring model with these figures vs the measured all-reduce: it passes through both sizes measured, "
                    "as fitted, so nothing here checks it; time 3 sizes or more (--sizes) to see how far it misses "
                    "between them")
        return (f"ring model with these figures vs the measured all-reduce: {self.link_model_error:+.0%} at "
                f"{fmt_bytes(self.link_model_error_size_bytes, binary=True)}, its worst size: "
                f"{_judged(self.link_model_error).lower()} the {TOLERANCE_TEXT}")

    @property
    def other_ops_model_text(self) -> str:
        """plan's half-ring model of the all-gathers, reduce-scatters and all-to-alls with this link against their
        measured times, each at its worst size, judged by the tolerance (LINK_MODEL_MAX_ERROR); '' when none was
        measured. Before it only a miss past the bound was said (in link_warning), so a user never saw the check or
        its tolerance on a link whose model held."""
        from accelopt.units import fmt_bytes

        errors = ([(c.op, c.error, c.size_bytes) for c in self.other_ops_model_checks] or other_ops_model_errors(
            self.figures, self.nranks, self.link_latency_s, self.link_bandwidth_byte_per_s))
        if not errors:
            return ""
        each = ", ".join(f"{op} {error:+.0%} at {fmt_bytes(size, binary=True)} ({_judged(error)})"
                         for op, error, size in errors)
        inside = sum(abs(e) <= LINK_MODEL_MAX_ERROR for _, e, _ in errors)
        return (f"plan's model of the other collectives with these figures, (p-1) alpha + (p-1)/p S / B "
                f"(predict/comm.py), vs the measured, each at its worst size: {each}; {TOLERANCE_TEXT}: {inside} of "
                f"{len(errors)} within")

    def of(self, op: str) -> list[CollectiveFigure]:
        return [f for f in self.figures if f.op == op]

    def modelled(self, fig: CollectiveFigure) -> CollectiveFigure:
        """`fig` with model_time_s, plan's time for it with this result's link (a document before probe schema 12
        has none kept: it is computed from the link figures the document holds)."""
        if fig.model_time_s is not None:
            return fig
        return replace(fig, model_time_s=plan_model_s(fig.op, fig.size_bytes, self.nranks, self.link_latency_s,
                                                      self.link_bandwidth_byte_per_s))
