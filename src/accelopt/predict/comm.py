"""Collective communication time: latency + bytes / bandwidth, ring or tree, vectorised over layouts.

Cost models (alpha-beta, Thakur, Rabenseifner & Gropp 2005, 'Optimization of Collective
Communication Operations in MPICH', IJHPCA 19(1), sec. 4, Table 1):
    ring all-reduce       T = 2 (p-1) alpha + 2 (p-1)/p * n / B
    ring reduce-scatter   T =   (p-1) alpha +   (p-1)/p * n / B       (all-gather the same)
    tree all-reduce       T = 2 ((p_in-1) alpha_in + log2(p/p_in) alpha_out) + 2 n / B
                                 (NCCL's tree on NVIDIA and AMD GPUs: a chain through the p_in ranks of one scale-up
                                  domain, a pipelined double binary tree across the p/p_in domains, Sanders et al.
                                  2009; p_in = 1, a log2 tree, elsewhere: `tree_allreduce_s`, `tree_chain_ranks`)
    all-to-all            T =   (p-1) alpha +   (p-1)/p * n / B       (pairwise exchange)
where n is the bytes each rank holds and B the per-rank, per-direction link bandwidth.
Hierarchical all-reduce over a scale-up domain and the scale-out network: reduce-scatter inside
the domain, all-reduce the 1/d_in shard across domains, all-gather inside (the NCCL/Horovod
hierarchical scheme; Jia et al. 2018, 'Highly Scalable Deep Learning Training System with
Mixed-Precision', sec. 3.3).

Measured links: a spec TOML written by `accelopt probe --collectives` carries the all-reduce bus bandwidth
(nccl-tests' busbw, which equals B in the ring formula above once latency is negligible) and the ring latency
alpha fitted over message sizes (distributed/collectives.py). `load_measured` reads them; `Links.of(..., measured)`
then uses them for the scale-up link in place of the catalog's figures (no calibration factor: a measured bus
bandwidth is already what the link achieves). The scale-out link stays the catalog's (the probe runs on one host).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field  # a dataclass below has a field named `field`
from functools import lru_cache
from pathlib import Path

import numpy as np

from accelopt.errors import InputError
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict.calibration import Calibration
from accelopt.units import unit

# Used only when the spec gives no link latency (assumptions, printed as such). One default for training and
# serving. Scale-up: a measured per-step latency of a ring all-reduce, 8-GPU DGX-A100, <=128 B messages,
# 33.7 us = 14 steps x 2.4 us (NVIDIA/nccl-tests issue #123, NCCL_ALGO=Ring); within NCCL's own cost model range
# (NVIDIA/nccl src/graph/tuning.cc `hwLat`: NVLink 0.47 us (LL) .. 3.4 us (Simple) per step). Scale-out: network
# 2.7 us (LL) .. 9.6 us (Simple) per step in the same table; we take 8 us, near the Simple end.
# Override per device with `scaleup_latency_s` / `scaleout_latency_s` in a catalog or probe spec TOML.
DEFAULT_SCALEUP_LATENCY_S = 2.4e-6
DEFAULT_SCALEOUT_LATENCY_S = 8e-6
# A device with no scale-out link listed: assume 100 Gb/s Ethernet per device = 100e9 / 8 = 12.5e9 B/s
# (an assumption, not a datasheet value); override with `scaleout_bandwidth_byte_per_s` in the spec.
DEFAULT_SCALEOUT_BW = 12.5e9


@dataclass(frozen=True)
class Assumption:
    """A default used in place of a figure the device spec lacks (printed beside the result and in JSON)."""

    field: str
    """The missing spec field, e.g. 'scaleout_bandwidth_byte_per_s'."""
    value: float = dataclass_field(metadata={"doc": "in the SI unit that `field` names"})
    """The value used instead (SI units of that field)."""
    basis: str
    """Where the default comes from."""
    scope: str
    """'scale-up' (used when a group spans more than one device inside the domain) or 'scale-out' (when
    the job spans more than one domain)."""

    def text(self) -> str:
        return f"{self.field} = {self.value:.4g} (assumed, not in the spec: {self.basis})"


@dataclass(frozen=True, kw_only=True)
class MeasuredLink:
    """A scale-up link measured by `accelopt probe --collectives` (printed as 'measured' beside the result)."""

    bandwidth_byte_per_s: float = unit("B/s", "all-reduce bus bandwidth at the largest message (nccl-tests busbw)")
    latency_s: float = unit("s", "ring latency alpha fitted over message sizes")
    ranks: int = unit("count", "ranks the probe measured over")
    device: str
    """The device the probe ran on (its spec name)."""
    path: str
    """The spec TOML the figures were read from."""
    source: str
    """The probe's method text (backend, ranks, how each figure was derived)."""

    def text(self) -> str:
        return (f"scale-up link {self.bandwidth_byte_per_s / 1e9:.4g} GB/s, {self.latency_s * 1e6:.3g} µs per step "
                f"(measured: {self.ranks} ranks of {self.device}, {self.path})")


_PROBE_SOURCE = "accelopt probe --collectives"


def load_measured(path: Path | str) -> MeasuredLink:
    """The measured scale-up link of a spec TOML written by `accelopt probe --collectives --save FILE`."""
    from accelopt.hardware.catalog import load_file
    from accelopt.userio import read_user_text

    fix = "pass a spec TOML written by `accelopt probe --collectives --save FILE.toml`"
    text = read_user_text(path, "--collectives file", fix)
    try:
        specs = load_file(path, text)
    except InputError as e:  # an empty file, bad TOML, a negative figure: name the flag, and what it takes
        problem = e.problem.removeprefix(f"{path}: ").removeprefix(f"{path}, ")
        raise InputError(f"--collectives {path}: {problem}", f"{e.fix}, or {fix}") from None
    if len(specs) != 1:
        raise InputError(f"--collectives {path}: holds {len(specs)} devices, a probe spec holds one", fix)
    link = measured_of(specs[0], str(path))
    if link is None:
        raise InputError(f"--collectives {path}: its scale-up bandwidth, latency and rank count were not measured "
                         f"by {_PROBE_SOURCE}", fix)
    if not link.bandwidth_byte_per_s > 0:  # 0 B/s: every collective would take forever (times print as n/a)
        raise InputError(f"--collectives {path}: scaleup_bandwidth_byte_per_s = {link.bandwidth_byte_per_s!r}: a "
                         "measured link moves more than 0 bytes/s", f"measure again, or fix the figure; {fix}")
    return link


def measured_of(spec: AcceleratorSpec, path: str = "") -> MeasuredLink | None:
    """The scale-up link of `spec` when all its figures come from `probe --collectives` (else None)."""
    fields = ("scaleup_bandwidth_byte_per_s", "scaleup_latency_s", "scaleup_domain_devices")
    bw, lat = spec.scaleup_bandwidth_byte_per_s, spec.scaleup_latency_s
    if bw is None or lat is None or not all((spec.source_of(f) or "").startswith(_PROBE_SOURCE) for f in fields):
        return None
    return MeasuredLink(bandwidth_byte_per_s=bw, latency_s=lat, ranks=int(spec.scaleup_domain_devices),
                        device=spec.name, path=path or spec.name,
                        source=spec.source_of("scaleup_bandwidth_byte_per_s") or "")


def own_links(specs: list[AcceleratorSpec]) -> list[MeasuredLink]:
    """The measured scale-up link of each spec in `specs` that has one (a spec TOML written by `probe --collectives`
    given as --hardware: Links.of uses it as measured), as plan and plan serve say it."""
    return [link for sp in specs if (link := measured_of(sp, "its spec TOML, --hardware")) is not None]


_UP_LAT_BASIS = "ring step latency measured on DGX-A100, nccl-tests issue #123"
_OUT_LAT_BASIS = "NCCL tuning.cc network per-step latency, near the Simple-protocol end"
_BW_BASIS = "100 Gb/s Ethernet per device, an assumption"
_DOMAIN_BASIS = ("no scale-up link listed, so every collective between devices, tensor-parallel ones too, runs on "
                 "the scale-out link; give scaleup_domain_devices and scaleup_bandwidth_byte_per_s (an HGX node: 8 "
                 "devices, NVLink) in the spec TOML")


@dataclass(frozen=True)
class Links:
    """Effective per-device, per-direction bandwidths (bytes/s) and latencies (s) of one device kind."""

    domain: int
    up_bw: float
    up_lat: float
    out_bw: float
    out_lat: float
    assumed: tuple[Assumption, ...] = ()
    """Defaults used for fields the spec lacks (see `used_by`)."""
    measured: MeasuredLink | None = None
    """The measured scale-up link used in place of the spec's (None: the spec's figures)."""
    tree_chains: bool = False
    """The device's collective library chains a domain's ranks in its tree all-reduce (chains_in_domain)."""
    up_peer_bw: float | None = None
    """Direct-connected domains: the bandwidth between one pair of devices (spec scaleup_peer_bandwidth_byte_per_s x
    bw_eff, or the pair rate a measured link implies: measured_peer_bw); None for a switched domain (`up_bw_of`)."""

    def with_up_share(self, share: np.ndarray) -> Links:
        """These links with the scale-up bandwidth cut to `share` of it, per layout (ici_shares: the ICI links of
        the mesh axes one group of a TPU slice runs on)."""
        peer = None if self.up_peer_bw is None else self.up_peer_bw * share
        return replace(self, up_bw=self.up_bw * share, up_peer_bw=peer)  # type: ignore[arg-type]  # per layout

    def up_bw_of(self, ranks: np.ndarray) -> np.ndarray:
        """Per-device scale-up bandwidth a group of `ranks` devices of one domain can use. Switched domain: all of
        it. Direct-connected domain (no switch, every pair wired by its own ports, e.g. HLS-Gaudi2's 21 ports all-
        to-all, 3 per peer: Intel Gaudi docs, 'Intel Gaudi Network Configuration', "21/7=3 scale-up ports for each
        connection"): a device reaches only its g - 1 peers of the group, so at most (g - 1) x the pair bandwidth.
        The ring formulas then give the direct algorithm's time: (g-1)/g x n / ((g-1) B_pair) = n / (g B_pair),
        each rank sending 1/g of its data to every peer at once."""
        g = np.maximum(np.asarray(ranks, dtype=float), 2.0)
        if self.up_peer_bw is None:
            return np.ones_like(g) * self.up_bw  # a scalar, or one per layout (with_up_share)
        return np.minimum(self.up_bw, (g - 1.0) * self.up_peer_bw)

    @classmethod
    def of(cls, spec: AcceleratorSpec, cal: Calibration, measured: MeasuredLink | None = None) -> Links:
        """The links of `spec`; with `measured` (or when the spec's own scale-up link was measured by `probe
        --collectives`), its bandwidth and latency replace the scale-up figures, used as measured: without the
        calibration's bandwidth efficiency."""
        measured = measured or measured_of(spec)
        if measured is not None:
            base = cls._catalog(spec, cal)
            return cls(domain=base.domain, up_bw=measured.bandwidth_byte_per_s, up_lat=measured.latency_s,
                       out_bw=base.out_bw, out_lat=base.out_lat, measured=measured, tree_chains=base.tree_chains,
                       assumed=tuple(a for a in base.assumed if a.scope != "scale-up"),
                       up_peer_bw=measured_peer_bw(spec, measured))
        return cls._catalog(spec, cal)

    @classmethod
    def _catalog(cls, spec: AcceleratorSpec, cal: Calibration) -> Links:
        assumed: list[Assumption] = []
        if spec.scaleup_domain_devices == 1 and "scaleup_domain_devices" not in spec.sources:
            # The field's default, not a datasheet figure (AcceleratorSpec.numbers): a spec TOML that lists no link
            # puts every collective, tensor-parallel ones included, on the scale-out figure below; said once the
            # job spans two devices, as the scale-out defaults are (used_by).
            assumed.append(Assumption("scaleup_domain_devices", 1.0, _DOMAIN_BASIS, "scale-out"))
        out_raw = spec.scaleout_bandwidth_byte_per_s
        if out_raw is None:
            out_raw = DEFAULT_SCALEOUT_BW
            assumed.append(Assumption("scaleout_bandwidth_byte_per_s", out_raw, _BW_BASIS, "scale-out"))
        up_raw = spec.scaleup_bandwidth_byte_per_s
        if up_raw is None:
            up_raw = out_raw
            assumed.append(Assumption("scaleup_bandwidth_byte_per_s", out_raw,
                                      "no scale-up link listed: the scale-out bandwidth is used inside the domain",
                                      "scale-up"))
        up_lat = spec.scaleup_latency_s
        if up_lat is None:
            up_lat = DEFAULT_SCALEUP_LATENCY_S
            assumed.append(Assumption("scaleup_latency_s", up_lat, _UP_LAT_BASIS, "scale-up"))
        out_lat = spec.scaleout_latency_s
        if out_lat is None:
            out_lat = DEFAULT_SCALEOUT_LATENCY_S
            assumed.append(Assumption("scaleout_latency_s", out_lat, _OUT_LAT_BASIS, "scale-out"))
        peer = spec.scaleup_peer_bandwidth_byte_per_s
        return cls(domain=int(spec.scaleup_domain_devices), up_bw=up_raw * cal.scaleup_bw_eff, up_lat=up_lat,
                   out_bw=out_raw * cal.scaleout_bw_eff, out_lat=out_lat, assumed=tuple(assumed),
                   up_peer_bw=None if peer is None else peer * cal.scaleup_bw_eff, tree_chains=chains_in_domain(spec))

    def tree_chain_ranks(self, group: np.ndarray, inner: np.ndarray) -> np.ndarray:
        """The p_in of tree_allreduce_s for a group of `group` ranks, stride `inner` (tree_chain_ranks)."""
        return tree_chain_ranks(self.tree_chains, group, inner, self.domain)

    def uses_scaleup(self, n_devices: np.ndarray) -> np.ndarray:
        """Whether a job on `n_devices` uses the scale-up link: it spans 2+ devices of one domain (domain > 1)."""
        return (np.asarray(n_devices) > 1) & (self.domain > 1)

    def used_by(self, n_devices: int) -> list[Assumption]:
        """The defaults a job on `n_devices` relies on: scale-up ones once it uses the scale-up link (uses_scaleup),
        scale-out ones once it spans more than one domain."""
        up = bool(self.uses_scaleup(np.asarray(n_devices)))
        out = n_devices > self.domain
        return [a for a in self.assumed if (a.scope == "scale-up" and up) or (a.scope == "scale-out" and out)]

    def pick(self, span: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(bandwidth, latency) for a group spanning `span` consecutive ranks: scale-up if it fits the domain (the
        share of it `span` devices reach, up_bw_of)."""
        inside = span <= self.domain
        return np.where(inside, self.up_bw_of(span), self.out_bw), np.where(inside, self.up_lat, self.out_lat)


def measured_peer_bw(spec: AcceleratorSpec, measured: MeasuredLink) -> float | None:
    """The pair bandwidth a measured link implies on a direct-connected domain (the spec lists
    scaleup_peer_bandwidth_byte_per_s); None for a switched domain or a probe over fewer than 2 ranks.

    A measured bus bandwidth is already an achieved rate, so it is used as measured: no scaleup_bw_eff, and no cap
    from the datasheet pair figure (that would derate it twice). But on a domain without a switch it was measured
    over `ranks` devices, each driving its ranks - 1 pair links at once (Links.up_bw_of), so busbw = (ranks - 1) x
    the achieved pair rate, and a smaller group of g reaches (g - 1) of those: busbw x (g - 1) / (ranks - 1), the
    same per-peer rule as the catalog's figures. A group larger than the probe's is credited the measured busbw
    only (no extrapolation beyond what was measured: probe over the whole domain to remove that bound)."""
    if spec.scaleup_peer_bandwidth_byte_per_s is None or measured.ranks < 2:
        return None
    return measured.bandwidth_byte_per_s / (measured.ranks - 1)


def _peer_capped(bw: float, peer: float | None, group: int) -> float:
    """The scale-up bandwidth a group of `group` devices reaches on a direct-connected domain (Links.up_bw_of)."""
    return bw if peer is None or group < 2 else min(bw, (group - 1) * peer)


def scaleup_link_name(spec: AcceleratorSpec) -> str:
    """The vendor's name of the scale-up link of `spec` (catalog sources: Google 'TPU v5e' page 'ICI', AMD
    'Infinity Fabric', AWS Neuron 'NeuronLink', NVIDIA NVLink); 'scale-up link' for the others."""
    if spec.kind == "tpu":
        return "ICI"
    return {"nvidia": "NVLink", "amd": "Infinity Fabric", "aws": "NeuronLink"}.get(spec.vendor.lower(),
                                                                                  "scale-up link")


def slice_words(spec: AcceleratorSpec) -> tuple[str, str, str]:
    """(one slice, its link, the network between slices) in the words of `spec`'s family: ('ICI slice', 'ICI',
    'the data-center network (DCN)') on a TPU, ('NVLink domain', 'NVLink', 'the scale-out network') on an NVIDIA GPU,
    ('scale-up domain', 'the scale-up link', ...) where the catalog names no link."""
    link = scaleup_link_name(spec)
    if spec.kind == "tpu":
        return "ICI slice", link, "the data-center network (DCN)"
    if link == "scale-up link":
        return "scale-up domain", "the scale-up link", "the scale-out network"
    return f"{link} domain", link, "the scale-out network"


def slice_spec(spec: AcceleratorSpec, slice_devices: int) -> AcceleratorSpec:
    """`spec` with its scale-up domain cut to `slice_devices` devices: one slice (a TPU ICI slice of Multislice, a
    GPU NVLink domain, any scale-up domain).

    Chips of one slice talk over the inter-chip interconnect; chips of different slices "communicate by transferring
    data to CPUs (hosts), which in turn transmit the data over the data-center network (DCN)", and this holds for
    slices in one pod too (Google Cloud, 'Cloud TPU Multislice overview', https://cloud.google.com/tpu/docs/
    multislice-introduction). So the domain of the hierarchical collectives above is the slice, not the pod: a
    data-parallel gradient all-reduce is reduce-scattered inside the slice over ICI, its 1/d_in shard all-reduced
    across slices at the per-chip DCN bandwidth (scaleout_bandwidth_byte_per_s: the host's NICs shared by its
    chips), and all-gathered back over ICI (hier_allreduce_s). 0 keeps the catalog's domain."""
    if slice_devices == 0:
        return spec
    domain = int(spec.scaleup_domain_devices)
    if not 1 <= slice_devices <= domain:
        raise InputError(f"--slice-devices {slice_devices}: a slice holds 1..{domain:,} devices of {spec.name} (its "
                         "scale-up domain)", f"give --slice-devices between 1 and {domain:,} (0: the whole domain)")
    if slice_devices == domain:
        return spec
    src = (f"--slice-devices {slice_devices} (one {slice_words(spec)[0]}; {domain:,} in the catalog: "
           f"{spec.source_of(_DOMAIN)})")
    return replace(spec, scaleup_domain_devices=slice_devices, sources={**spec.sources, _DOMAIN: src})


_DOMAIN = "scaleup_domain_devices"


def lists_no_link(spec: AcceleratorSpec, measured: MeasuredLink | None = None) -> bool:
    """True when `spec` lists no link between devices at all (no scale-up nor scale-out bandwidth) and no measured
    link replaces it: a job on more than one such device has no cited figure for its collectives."""
    return (spec.scaleup_bandwidth_byte_per_s is None and spec.scaleout_bandwidth_byte_per_s is None
            and measured is None and measured_of(spec) is None)


def no_link_problem(spec: AcceleratorSpec, what: str, group: int | Sequence[int]) -> str:
    """The one wording, for training and serving alike, of a job of `group` devices of a spec that lists_no_link.
    `group` may be the counts a search asked for (--devices 8..64): named from the smallest, as 8 already needs a
    link ('8 to 64', '8 or 16'), where the largest alone ('64 x') hid it (s31 fin2).
    `plan` and `plan explain` put such a job's collectives on a 100 Gb/s Ethernet default (DEFAULT_SCALEOUT_BW, an
    assumption, not a cited figure) where `plan serve` refused the same spec (utleft3): issue 10's rule, a missing
    figure comes from a cited source or stops with an error naming the field, now holds for both."""
    counts = sorted(set(group)) if isinstance(group, Sequence) else [group]
    text = (str(counts[0]) if len(counts) == 1 else f"{counts[0]} or {counts[1]}" if len(counts) == 2
            else f"{counts[0]} to {counts[-1]}")
    return (f"{what} over {text} x {spec.name}: its spec lists no link between devices (no "
            "scaleup_bandwidth_byte_per_s or scaleout_bandwidth_byte_per_s)")


OWN_SPEC = ("in a spec TOML of your own (--catalog FILE, or --hardware PATH; a catalog device's entry copied there "
            "under a new name, as a file may not reuse a built-in name)")
"""Where a link figure a spec lacks is given: a built-in device (mi250x, xeon-8480plus, ...) cannot be given one
under its own name (catalog._refuse_builtin_name), so the fix says to rename the copy (review s31 rvlast)."""

NO_LINK_FIX = ("give scaleup_bandwidth_byte_per_s (and scaleup_domain_devices), or scaleout_bandwidth_byte_per_s, "
               + OWN_SPEC)
"""How to give a device that lists no link one (no_link_problem)."""


def pick_link(spec: AcceleratorSpec, group: int,
              measured: MeasuredLink | None = None) -> tuple[float | None, float, list[Assumption]]:
    """(raw per-direction bandwidth or None when the spec lists no link at all, latency, defaults used) of the link
    a group of `group` devices talks over: scale-up inside the domain, else scale-out; the same rule as `Links`,
    without a bandwidth default (serving stops when a device lists no link). `measured` (load_measured): its
    bandwidth and latency inside the domain, as measured (on a direct-connected domain, the share of it a group
    reaches: measured_peer_bw)."""
    inside = group <= spec.scaleup_domain_devices
    if measured is not None and inside:
        bw_measured = _peer_capped(measured.bandwidth_byte_per_s, measured_peer_bw(spec, measured), group)
        return bw_measured, measured.latency_s, []
    assumed: list[Assumption] = []
    bw = spec.scaleup_bandwidth_byte_per_s if inside else spec.scaleout_bandwidth_byte_per_s
    if inside and bw is not None:  # direct-connected domain (Links.up_bw_of)
        bw = _peer_capped(bw, spec.scaleup_peer_bandwidth_byte_per_s, group)
    lat = spec.scaleup_latency_s if inside else spec.scaleout_latency_s
    if bw is None and inside and spec.scaleout_bandwidth_byte_per_s is not None:
        bw, lat = spec.scaleout_bandwidth_byte_per_s, spec.scaleout_latency_s
        assumed.append(Assumption("scaleup_bandwidth_byte_per_s", bw,
                                  "no scale-up link listed: the scale-out bandwidth is used inside the domain",
                                  "scale-up"))
        inside = False
    if lat is None:
        lat = DEFAULT_SCALEUP_LATENCY_S if inside else DEFAULT_SCALEOUT_LATENCY_S
        assumed.append(Assumption("scaleup_latency_s" if inside else "scaleout_latency_s", lat,
                                  _UP_LAT_BASIS if inside else _OUT_LAT_BASIS, "scale-up" if inside else "scale-out"))
    return bw, lat, assumed


def _f(p: np.ndarray) -> np.ndarray:
    return np.asarray(p, dtype=float)


def ring_allreduce_s(n_bytes: np.ndarray, p: np.ndarray, bw: np.ndarray, lat: np.ndarray) -> np.ndarray:
    p = _f(p)
    return np.where(p > 1, 2 * (p - 1) * lat + 2 * (p - 1) / p * n_bytes / bw, 0.0)


def tree_allreduce_s(n_bytes: np.ndarray, p: np.ndarray, bw: np.ndarray, lat_in: np.ndarray, lat_out: np.ndarray, *,
                     p_in: np.ndarray) -> np.ndarray:
    """NCCL's tree all-reduce over p ranks, p_in of them in each scale-up domain. Inside a domain NCCL's "tree" is a
    chain, linear in the local ranks; only the p / p_in domains form a (double binary) tree. Latency, NCCL's own cost
    model (NVIDIA/nccl src/graph/tuning.cc, the same line in 2.7.5 and 2.20.3):
    `2 * ((nRanks/nNodes-1) * intraLat + log2i(nNodes) * interLat)`: the 2 (p_in - 1) chain steps at `lat_in` (the
    scale-up link's step latency), the 2 log2(p / p_in) tree steps across domains at `lat_out` (the scale-out
    link's). So p_in = p (one domain) costs the ring's 2 (p-1) steps, and p_in = 1 (one rank per domain,
    hier_allreduce_s's cross-domain shard) 2 log2(p) steps. The scale-up domain stands for NCCL's node (nNodes: the
    hosts; a multi-node NVLink domain such as GB200 NVL72 is taken as one node)."""
    p = _f(p)
    p_in = np.clip(_f(p_in), 1.0, np.maximum(p, 1.0))
    latency = 2 * ((p_in - 1) * lat_in + np.log2(np.maximum(p / p_in, 1.0)) * lat_out)
    return np.where(p > 1, latency + 2 * n_bytes / bw, 0.0)


# NCCL's tree chains the ranks of one node; so does AMD's RCCL, its port (ROCm/rccl src/graph/tuning.cc, the same
# latency line). Not asserted of the other libraries: AWS Neuron picks among Ring (O(N) steps), Mesh (O(1)) and
# Recursive Doubling-Halving (O(log N)) inside a node (AWS Neuron docs, 'Intra-node Collective Communications with AWS
# Neuron'); Intel HCCL, XLA over TPU ICI and the others keep the log2 tree (p_in = 1), the model's rule before.
_CHAIN_VENDORS = ("nvidia", "amd")


def chains_in_domain(spec: AcceleratorSpec) -> bool:
    """Whether `spec`'s collective library is NCCL or RCCL (an NVIDIA or AMD GPU): its tree chains a domain's ranks."""
    return spec.kind == "gpu" and spec.vendor.lower() in _CHAIN_VENDORS


def tree_chain_ranks(chains: bool, group: np.ndarray, inner: np.ndarray, domain: int) -> np.ndarray:
    """The p_in of tree_allreduce_s: the group's ranks inside one scale-up domain (split_domain) where the library
    chains them (`chains`: chains_in_domain), else 1 (a log2 tree over all the group's ranks)."""
    d_in = split_domain(np.asarray(group), np.asarray(inner), domain)[0]
    return np.where(chains, d_in, 1)


def allreduce_s(n_bytes: np.ndarray, p: np.ndarray, bw: np.ndarray, lat: np.ndarray, *,
                p_in: np.ndarray, lat_in: np.ndarray) -> np.ndarray:
    """The faster of ring and tree (what NCCL's tuner picks per message size); p_in of the p ranks share a scale-up
    domain (tree_allreduce_s: p_in = p, the whole group in one domain, makes the tree no faster than the ring).
    `lat`: the step latency of the link the group talks over (every ring step, and the tree's steps across domains);
    `lat_in`: the scale-up link's (the tree's chain steps inside a domain; = lat for a group inside one domain)."""
    return np.minimum(ring_allreduce_s(n_bytes, p, bw, lat),
                      tree_allreduce_s(n_bytes, p, bw, lat_in, lat, p_in=p_in))


def reduce_scatter_s(n_bytes: np.ndarray, p: np.ndarray, bw: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Ring reduce-scatter (all-gather costs the same): (p-1) alpha + (p-1)/p n/B."""
    p = _f(p)
    return np.where(p > 1, (p - 1) * lat + (p - 1) / p * n_bytes / bw, 0.0)


def alltoall_s(n_bytes: np.ndarray, p: np.ndarray, bw: np.ndarray, lat: np.ndarray) -> np.ndarray:
    p = _f(p)
    return np.where(p > 1, (p - 1) * lat + (p - 1) / p * n_bytes / bw, 0.0)


def alltoall_split_s(n_bytes: np.ndarray, p: np.ndarray, p_in: np.ndarray, links: Links,
                     stride: np.ndarray) -> np.ndarray:
    """NCCL all-to-all (torch.distributed all_to_all_single, Megatron-Core's alltoall token dispatcher) over `p` ranks
    at `stride` (consecutive ranks: 1), `p_in` of which share a scale-up domain. NCCL runs it as one group of
    ncclSend/ncclRecv to every peer, and "calls within a group can be seen as progressing independently" (NCCL user
    guide, Point-to-point communication: all-to-all), so the (p_in - 1)/p of a rank's bytes for its domain peers
    cross the scale-up link while the (p - p_in)/p for the other domains cross the scale-out one:
    max(in / up_bw, out / out_bw) + (p - 1) x the slower link's latency. Inside one domain (p_in = p) this is
    alltoall_s on the scale-up link."""
    p, p_in = _f(p), np.minimum(_f(p_in), _f(p))
    t_in = np.where(p_in > 1, (p_in - 1) / np.maximum(p, 1.0) * n_bytes / links.up_bw_of(p_in * stride), 0.0)
    t_out = (p - p_in) / np.maximum(p, 1.0) * n_bytes / links.out_bw
    lat = np.where(p > p_in, links.out_lat, links.up_lat)
    return np.where(p > 1, np.maximum(t_in, t_out) + (p - 1) * lat, 0.0)


def alltoall_direct_s(n_bytes: float, p: int, domain: int, up_bw: float, up_lat: float, out_bw: float,
                      out_lat: float) -> float:
    """All-to-all in which every rank writes to all its peers at once (GPU-initiated sends: the MoE dispatch/combine
    kernels of DeepEP, deepseek-ai/DeepEP docs/legacy.md; DeepSeek-V3 report sec. 3.2.2, NVLink and InfiniBand
    traffic overlapped). Of the n_bytes a rank holds, (d_in - 1)/p go to peers inside its scale-up domain and
    (p - d_in)/p across domains, both links busy at once: T = max(in / up_bw, out / out_bw) + one step latency
    (of the slower link used), d_in = min(p, domain). Not the pairwise-exchange (p-1) alpha of `alltoall_s`:
    the sends are not serialised."""
    if p <= 1:
        return 0.0
    d_in = min(p, domain)
    t_in = (d_in - 1) / p * n_bytes / up_bw if d_in > 1 else 0.0
    t_out = (p - d_in) / p * n_bytes / out_bw if p > d_in else 0.0
    return max(t_in, t_out) + (out_lat if p > d_in else up_lat)


MOE_DISPATCHERS = ("alltoall", "hybridep", "deepep")
"""The MoE token dispatchers the training model times (Setup.moe_dispatcher): alltoall (Megatron-Core's NCCL
all-to-all dispatcher, alltoall_split_s), hybridep and deepep (its flex dispatcher's backends; across scale-up domains
hierarchical_dispatch_s, inside one the all-to-all's time)."""

HIER_DISPATCH_REQUIREMENTS = (
    "DeepEP's README, 'Requirements': 'Hopper (SM90) GPUs, or other architectures with SM90 PTX ISA support', CUDA "
    "12.3 and above, 'NVLink with full directed CUDA peer access' (deepseek-ai/DeepEP@0297fc80); HybridEP: 'NVLink-"
    "optimized data transfer using Tensor Memory Accelerator (TMA) instructions', built with TORCH_CUDA_ARCH_LIST "
    "'9.0 10.0' and probing with libnvidia-ml (docs/README_Hybrid-EP.md@41cad944)")
"""What hybridep and deepep need to run (moe_dispatcher_device_problem): CUDA kernels on NVIDIA GPUs."""


HIER_DISPATCH_MIN_CAPABILITY = (9, 0)
"""The lowest CUDA compute capability HybridEP and DeepEP run on: SM90, Hopper (HIER_DISPATCH_REQUIREMENTS: DeepEP's
'Hopper (SM90) GPUs, or other architectures with SM90 PTX ISA support'; HybridEP's TMA instructions, which came with
SM90, and its build list '9.0 10.0'). An A100 (8.0), L4 / L40S / RTX 4090 (8.9), T4 (7.5) or V100 (7.0) runs neither."""


def moe_dispatcher_device_problem(dispatcher: str, spec: AcceleratorSpec) -> str:
    """Why `spec` cannot run `dispatcher` ('' when it can): hybridep and deepep are CUDA libraries for NVIDIA GPUs of
    compute capability 9.0 or newer (HIER_DISPATCH_REQUIREMENTS, HIER_DISPATCH_MIN_CAPABILITY), told by the spec's
    cited compute_capability; an NVIDIA GPU whose spec cites none is refused naming the field, as --tp-comm-overlap
    is without a cited SM count. Refused, not priced at the NVIDIA-measured rates with a note: a plan that ranks a
    layout on a dispatcher that does not run on its hardware answers a question nobody can act on."""
    if dispatcher == "alltoall":
        return ""
    if not (spec.kind == "gpu" and spec.vendor.upper() == "NVIDIA"):
        return (f"--moe-dispatcher {dispatcher} does not run on {spec.name} ({spec.vendor} {spec.kind}): DeepEP and "
                "HybridEP are CUDA libraries for NVIDIA GPUs (DeepEP's README, 'Requirements': Hopper (SM90) or SM90 "
                "PTX ISA, CUDA 12.3+; HybridEP: TMA instructions)")
    cc = spec.cuda_capability()
    need = ".".join(map(str, HIER_DISPATCH_MIN_CAPABILITY))
    if cc is None:
        return (f"--moe-dispatcher {dispatcher} needs an NVIDIA GPU of compute capability {need} (SM90, Hopper) or "
                f"newer, and {spec.name}'s spec cites no compute_capability to tell")
    if cc < HIER_DISPATCH_MIN_CAPABILITY:
        return (f"--moe-dispatcher {dispatcher} does not run on {spec.name} (compute capability "
                f"{spec.compute_capability}): DeepEP and HybridEP need compute capability {need} (SM90, Hopper) or "
                "newer (DeepEP's README, 'Requirements': 'Hopper (SM90) GPUs, or other architectures with SM90 PTX "
                "ISA support'; HybridEP: TMA instructions, built for '9.0 10.0')")
    return ""


MOE_DISPATCHER_DEVICE_FIX = ("give --moe-dispatcher alltoall (the default), or an NVIDIA GPU of compute capability 9.0 "
                             "or newer with --hardware (h100-sxm, h200, b200, gb200); a --catalog spec of one adds "
                             'compute_capability = ["9.0", "source"]')


HIER_DISPATCH_NIC_BYTE_PER_S = 50e9
"""The scale-out link per GPU of both measured systems below: one ConnectX-7 400 Gb/s NIC per GPU = 400e9 / 8 B/s
(DeepEP docs/legacy.md: 'CX7 InfiniBand 400 Gb/s RDMA network card (~50 GB/s maximum bandwidth)'; HybridEP's H100
table, DGX-H100: 8 x ConnectX-7 400 Gb/s). A device's figure is scaled by its own scale-out rate over this one."""

HIER_DISPATCH_GB_S: dict[str, tuple[tuple[int, float, float], ...]] = {
    # (EP ranks measured, dispatch GB/s, combine GB/s): the published algorithm bandwidth, 4096 tokens per rank,
    # hidden 7168, top-8, 8 experts per rank.
    # HybridEP: deepseek-ai/DeepEP docs/README_Hybrid-EP.md (stored 41cad944), 'H100 Platform', router random
    # uniform, the 16-SM rows (Megatron-Core's moe_hybridep_num_sms default, 'moe_hybridep_num_sms: int = 16'),
    # 'Torch API' columns (what Megatron calls), BF16 dispatch (the model's 16-bit activations) and combine.
    "hybridep": ((16, 54.47, 53.35), (32, 47.36, 52.53), (64, 41.24, 46.57)),
    # DeepEP V1 normal kernels: deepseek-ai/DeepEP docs/legacy.md (stored 0297fc80), 'Normal kernels with NVLink and
    # RDMA forwarding', H800 with one CX7 400 Gb/s NIC each, top-4 groups of top-8, FP8 dispatch and BF16 combine
    # (its FP8 dispatch rate is used for the model's 16-bit bytes: a BF16 dispatch moves more bytes per second in
    # HybridEP's table, so this errs slow).
    "deepep": ((16, 43.0, 43.0), (32, 58.0, 57.0), (64, 51.0, 50.0)),
}
"""Published dispatch / combine bandwidth of the hierarchical MoE dispatchers, counted as both benchmarks count it:
bytes = tokens x (distinct destination NODES per token, the local node included) x hidden x bytes per element
(DeepEP tests/legacy/test_internode.py: num_rdma_token_sent from rdma_idx = topk_idx // experts-per-node, deduplicated
per token; HybridEP tests/utils.py count_rdma_send_from_routing_map: 'we do not set the local node map to zeros', to
align with DeepEP). So a token bound for several experts of one node crosses the network once and is forwarded over
NVLink there (README_Hybrid-EP.md, 'Hierarchical Communication Design'; DeepEP: 'forwarding data from NVLink domain
to RDMA domain'); the NCCL all-to-all sends one copy per expert rank."""


def expected_nodes_per_token(experts: int, top_k: int, nodes: np.ndarray) -> np.ndarray:
    """Distinct nodes a token's top_k experts lie on, the experts spread evenly over `nodes` and chosen uniformly at
    random (both benchmarks' routers; no load imbalance): nodes x (1 - C(E - E/nodes, k) / C(E, k)), the chance that
    one node holds none of the k as the product over i < k of (E - E/nodes - i) / (E - i)."""
    n = np.maximum(_f(nodes), 1.0)
    none = np.ones_like(n)
    for i in range(max(int(top_k), 1)):
        none = none * np.clip((experts - experts / n - i) / max(experts - i, 1), 0.0, 1.0)
    return n * (1.0 - none)


def hier_dispatch_rate(dispatcher: str, ep: np.ndarray) -> np.ndarray:
    """The published (dispatch + combine) / 2 bandwidth (B/s) of `dispatcher` at the smallest measured EP size at or
    above `ep` (the largest, 64, beyond it: not extrapolated): HIER_DISPATCH_GB_S."""
    rows = HIER_DISPATCH_GB_S[dispatcher]
    e = _f(ep)
    rates = [0.5 * (d + c) * 1e9 for _, d, c in rows]
    return np.select([e <= r for r, _, _ in rows[:-1]], rates[:-1], default=rates[-1])


def hierarchical_dispatch_s(dispatcher: str, tokens: np.ndarray, hidden_bytes: float, experts: int, top_k: int,
                            ep: np.ndarray, nodes: np.ndarray, out_byte_per_s: float) -> np.ndarray:
    """One dispatch or combine of a hierarchical MoE dispatcher (HybridEP, DeepEP) over `ep` ranks on `nodes` scale-up
    domains: tokens x expected_nodes_per_token x hidden_bytes at the published rate (hier_dispatch_rate, the mean of
    the dispatch and combine figures: a MoE layer runs two of each, forward and backward), scaled by the device's
    scale-out rate over the measured NIC's (HIER_DISPATCH_NIC_BYTE_PER_S). The published time includes the NVLink
    forwarding inside the node, pipelined with the RDMA sends. `tokens`: one rank's tokens; `hidden_bytes`: one
    token's hidden vector."""
    volume = _f(tokens) * expected_nodes_per_token(experts, top_k, nodes) * hidden_bytes
    return volume / (hier_dispatch_rate(dispatcher, ep) * out_byte_per_s / HIER_DISPATCH_NIC_BYTE_PER_S)


def p2p_s(n_bytes: np.ndarray, bw: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return lat + n_bytes / bw


def split_domain(group: np.ndarray, inner: np.ndarray, domain: int) -> tuple[np.ndarray, np.ndarray]:
    """Ranks of a group (stride `inner`) inside one scale-up domain (d_in) and the domains it spans (d_out).

    Megatron orders ranks tp (innermost), cp, dp, pp; a group of size `group` whose members are `inner` ranks apart
    has at most per_dom = domain // inner members per domain (at least 1), so it spans d_out = ceil(group / per_dom)
    domains. Where per_dom does not divide the group (a 64-rank group over 36-GPU halves of GB200 NVL72 racks),
    its ranks are taken as spread evenly over those d_out domains (a job of 128 GPUs on two racks as 64 + 64) and
    d_in is the smallest share, group // d_out, whose shard bounds the hierarchical steps. (Until 2026-12-01 the
    split took gcd(per_dom, group): 4 ranks per domain and 16 domains for that group, every other byte off the
    scale-up link; nemon's +66.8% Megatron-Bridge 25.09 GB200 405B FSDP row.) Where per_dom divides the group, as
    on 8-GPU nodes with power-of-two groups, both rules give the same split."""
    g: np.ndarray = group.astype(np.int64)
    per_dom = np.maximum(domain // np.maximum(inner, 1), 1).astype(np.int64)
    d_out = -(-g // per_dom)  # ceil
    d_in = np.maximum(g // d_out, 1)
    return d_in, d_out


def hier_allreduce_s(n_bytes: np.ndarray, group: np.ndarray, inner: np.ndarray, links: Links) -> np.ndarray:
    """Hierarchical all-reduce: RS + AG inside the domain, all-reduce of the 1/d_in shard across domains."""
    d_in, d_out = split_domain(group, inner, links.domain)
    up_bw, up_lat = links.up_bw_of(d_in) * np.ones_like(n_bytes), np.full_like(n_bytes, links.up_lat)
    t_in: np.ndarray = 2 * reduce_scatter_s(n_bytes, d_in, up_bw, up_lat)
    shard = n_bytes / d_in
    out_lat = np.full_like(n_bytes, links.out_lat)
    t_out = allreduce_s(shard, d_out, np.full_like(n_bytes, links.out_bw), out_lat,
                        p_in=np.ones_like(n_bytes), lat_in=out_lat)  # one rank of each domain: no chain step
    return t_in + t_out


def ring_latency_s(group: np.ndarray, inner: np.ndarray, links: Links) -> np.ndarray:
    """Latency term of ONE flat ring all-gather or reduce-scatter over `group` ranks (stride `inner`), as NCCL runs
    them: nsteps = group - 1 ring steps, of which nInterSteps = d_out - 1 cross the scale-out network and the rest
    the scale-up link: (group - d_out) x up_lat + (d_out - 1) x out_lat. This is NCCL's own cost model
    (NVIDIA/nccl src/graph/tuning.cc, ring: `latencies += (nsteps - nInterSteps) * intraLat + nInterSteps * interLat`
    with nsteps = nRanks - 1 and nInterSteps = nNodes - 1 for AllGather/ReduceScatter). NCCL implements these two
    collectives as a ring only, so their latency is linear in the ranks (Jeaugey 2025, 'PAT: a new algorithm for
    all-gather and reduce-scatter operations at scale', arXiv:2506.20252, abstract; NVIDIA/nccl issue #757: 'the ring
    latency is still very much linear'), unlike hier_reduce_scatter_s's hierarchical (d_in - 1) + (d_out - 1) steps.
    NCCL's constant base latency per collective (~8 us) is not included."""
    _, d_out = split_domain(group, inner, links.domain)
    g = _f(group)
    return np.where(g > 1, (g - d_out) * links.up_lat + (d_out - 1) * links.out_lat, 0.0)


def hier_reduce_scatter_s(n_bytes: np.ndarray, group: np.ndarray, inner: np.ndarray, links: Links) -> np.ndarray:
    """Hierarchical reduce-scatter (= all-gather): inside the domain, then the shard across domains."""
    d_in, d_out = split_domain(group, inner, links.domain)
    t_in = reduce_scatter_s(n_bytes, d_in, links.up_bw_of(d_in) * np.ones_like(n_bytes),
                            np.full_like(n_bytes, links.up_lat))
    t_out = reduce_scatter_s(n_bytes / d_in, d_out, np.full_like(n_bytes, links.out_bw),
                             np.full_like(n_bytes, links.out_lat))
    return t_in + t_out


# --- TPU slices: which ICI links a collective's group runs on -------------------------------------------------------
# A TPU chip has 2 ICI links per torus dimension, one each way (v5e / v6e: a 2D torus, 4 ports; v4 / v5p: 3D, 6 links;
# the catalog's scale-up figure is all of them: Google Cloud 'TPU v5e' / 'TPU v5p' pages, bidirectional ICI 400 / 1200
# GBps a chip). A collective over the devices of one mesh axis moves its bytes over that axis's links only: 'How to
# Scale Your Model' (Austin et al. 2025, jax-ml/scaling-book @04d8de58), sharding.md, an AllGather takes 'bytes /
# (bidirectional ICI bandwidth * num_axes)', the bandwidth being one link's, both ways; tpus.md: v5e 5e10, v5p 1e11
# B/s one way a link (x 4 and x 6 links: the catalog's 2e11 and 6e11). So a group on k of the slice's d dimensions has
# k / d of the chip's ICI. Which dimensions a group gets: JAX's mesh_utils.create_device_mesh, which MaxText calls
# (jax-ml/jax jax/experimental/mesh_utils.py, _create_device_mesh_for_nd_torus): logical axes taken from the most
# network-intensive (the last: MaxText's mesh lists 'tensor' after 'fsdp') to the least, each given the LARGEST set of
# free physical axes whose sizes multiply to its size; the Cloud TPU 'Types and topologies' page says the same of a
# layout ('4-way model parallelism in the X dimension and 256-way data parallelism in the Y and Z dimensions matches a
# 4x16x16 topology'). Every axis is taken to wrap around (tpus.md: a v5e axis of 16, a v5p axis that is a multiple
# of 4: every shape below from 4x4x4 and the v5e 16x16; smaller slices lack it and are not derated here).
ICI_SLICE_SHAPES: dict[str, dict[int, tuple[int, ...]]] = {
    # Google Cloud TPU docs, 'Supported TPU configurations', v5e 2D slice shapes (topology, chips)
    "tpu-v5e": {1: (1, 1), 4: (2, 2), 8: (2, 4), 16: (4, 4), 32: (4, 8), 64: (8, 8), 128: (8, 16), 256: (16, 16)},
    # Google Cloud TPU docs, 'TPU v5p' (cloud.google.com/tpu/docs/v5p-training), Configurations table: the most common
    # single-slice shapes (topology, chips)
    "tpu-v5p": {4: (2, 2, 1), 8: (2, 2, 2), 32: (2, 4, 4), 64: (4, 4, 4), 128: (4, 4, 8), 256: (4, 8, 8),
                512: (8, 8, 8), 1024: (8, 8, 16), 2048: (8, 16, 16), 4096: (16, 16, 16), 6144: (16, 16, 24)},
}
ICI_SHAPE_FIELD = "ici_slice_shape"
"""The Assumption field said where a TPU slice's torus shape is not cited (ici_shape_assumption): no spec field
replaces it, so `plan` prints it on a line of its own."""
ICI_SHAPE_SOURCE = ("Google Cloud TPU docs, 'Supported TPU configurations' (v5e 2D slice shapes) and 'TPU v5p' "
                    "(Configurations table)")


def tpu_slice_shape(device: str, chips: int) -> tuple[int, ...] | None:
    """The torus shape of a `chips`-chip slice of the catalog `device` (ICI_SLICE_SHAPES), None where no cited shape
    is known."""
    shapes = ICI_SLICE_SHAPES.get(device, {})
    return shapes.get(int(chips))


def mesh_axes(shape: tuple[int, ...], sizes: tuple[int, ...]) -> tuple[tuple[int, ...], ...] | None:
    """The physical axes of `shape` each logical axis of `sizes` (least network-intensive first) runs on, as JAX's
    mesh_utils._create_device_mesh_for_nd_torus assigns them: from the last logical axis to the first, the largest
    set of still-free physical axes whose sizes multiply to its size (ties: itertools.combinations' order). None where
    some axis fits no such set (mesh_utils then refuses, or splits a physical axis if allowed)."""
    free = list(shape)
    out: list[tuple[int, ...]] = [() for _ in sizes]
    for i in reversed(range(len(sizes))):
        if sizes[i] == 1:
            continue
        for k in range(len(shape), 0, -1):
            pick = next((c for c in itertools.combinations(range(len(shape)), k)
                         if int(np.prod([free[j] for j in c])) == sizes[i]), None)
            if pick is not None:
                out[i] = pick
                free = [0 if j in pick else v for j, v in enumerate(free)]
                break
        else:
            return None
    return tuple(out)


@lru_cache(maxsize=256)
def _ici_shares(device: str, chips: int, tp: int) -> tuple[float, float, int, int] | None:
    shape = tpu_slice_shape(device, chips)
    if shape is None or chips % tp:
        return None
    axes = mesh_axes(shape, (chips // tp, tp))
    if axes is None:
        return None
    dims = len(shape)  # the chip's torus dimensions (2 links each): all of them carry the catalog's figure
    n_dp, n_tp = (sum(1 for j in a if shape[j] > 1) for a in axes)
    # a group of one device uses no link: share 1 keeps its (zero-time) collectives finite
    return n_tp / dims if n_tp else 1.0, n_dp / dims if n_dp else 1.0, n_tp, n_dp


def ici_shares(spec: AcceleratorSpec, chips: np.ndarray, tp: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                                    np.ndarray, np.ndarray]:
    """Per layout: (share of the chip's ICI the tensor-parallel group has, the share the data-parallel / FSDP group
    inside the slice has, the torus dimensions of each) on a TPU slice of `chips` chips (mesh [chips / tp, tp]:
    MaxText's ici_fsdp x ici_tensor). A group on k of the slice's d dimensions has k / d (the block comment above).
    Where the shape is not cited (ICI_SLICE_SHAPES) or the mesh does not map onto whole axes: shares 1 (the chip's
    whole ICI, the figure before; said by ici_shape_assumption) and NaN dimensions. Not a TPU: shares 1."""
    c, t = np.asarray(chips, dtype=np.int64), np.asarray(tp, dtype=np.int64)
    tp_s, dp_s, tp_k, dp_k = (np.ones(c.shape), np.ones(c.shape), np.full(c.shape, np.nan), np.full(c.shape, np.nan))
    if spec.kind != "tpu":
        return tp_s, dp_s, tp_k, dp_k
    pairs, inverse = np.unique(np.stack([c.ravel(), t.ravel()]), axis=1, return_inverse=True)  # few distinct
    for j, (ci, ti) in enumerate(pairs.T):
        got = _ici_shares(spec.name, int(ci), max(int(ti), 1))
        if got is not None:
            at = np.asarray(inverse).ravel() == j
            tp_s.flat[at], dp_s.flat[at], tp_k.flat[at], dp_k.flat[at] = got
    return tp_s, dp_s, tp_k, dp_k


def ici_shape_assumption(spec: AcceleratorSpec, chips: int) -> Assumption | None:
    """The default said beside a TPU result whose slice shape is not cited: every group on the chip's whole ICI."""
    if spec.kind != "tpu" or tpu_slice_shape(spec.name, chips) is not None:
        return None
    return Assumption(ICI_SHAPE_FIELD, float(chips),
                      f"no cited torus shape for a {chips}-chip {spec.name} slice ({ICI_SHAPE_SOURCE} list the "
                      "shapes used): every collective is given the chip's whole ICI, not its mesh axes' links, so "
                      "tensor-parallel collectives may be charged too fast; no spec field replaces it",
                      "scale-up")
