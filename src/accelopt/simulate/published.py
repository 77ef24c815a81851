"""Published accelerator figures a user can check the simulator against: the NVDLA primer table.

Source: NVIDIA, "NVDLA Primer" (nvdla.org/primer.html), section "Example Area and Performance with
NVDLA": NVDLA configurations "optimized for the popular ResNet-50", no on-chip SRAM, int8, with
# MACs, convolution buffer size (KB), SDRAM bandwidth (GB/s), silicon area (mm^2, 28 nm) and ResNet-50
frames/second. The table is an estimate of NVIDIA's own performance estimator, not a measurement.

What the table does not say, and what is assumed here (each recorded in the design's sources and
printed beside the prediction; chosen before comparing, not fitted):
- clock: 1 GHz (the primer gives none);
- MAC array shape: NVDLA's convolution core multiplies Atomic-C input channels by Atomic-K kernels per
  cycle. Where NVIDIA's hardware repository has a build of that MAC count, its Atomic-C x Atomic-K is used
  (github.com/nvdla/hw, spec/defs/*.spec: nv_large 64 x 32 = 2048, nv_medium_1024_full 64 x 16,
  nv_medium_512 32 x 16, nv_small_256 32 x 8, nv_small 8 x 8); 128 and 32 MACs have no build there and
  are taken as 32 x 4 and 8 x 4. Rows = Atomic-C, cols = Atomic-K, mapped as a weight-stationary array,
  as the edge-npu preset (NVDLA hwarch: weights held in the MAC cells while feature data streams). An
  earlier guess of 64 x 8 for 512 MACs predicted 69 frames/s (-25%): a 64-row array pays 2R + C fill and
  drain per fold, which dominates the 7 x 7 layers of stage 5;
- convolution buffer split evenly between data and weights; 64 KiB accumulator (CACC) buffer;
- the network: ResNet-50 v1 (He et al. 2016 Table 1; the Caffe model of 2017), batch 1, 224 x 224.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelopt.errors import unknown_name
from accelopt.simulate.design import Design

NVDLA_PRIMER = "NVIDIA NVDLA Primer (nvdla.org/primer.html), 'Example Area and Performance with NVDLA' table"
CLOCK_HZ = 1e9
CLOCK_NOTE = "assumption: the NVDLA primer table gives no clock; 1 GHz"
NVDLA_HW_SPECS = "NVIDIA nvdla/hw repository, spec/defs/<project>.spec (MAC_ATOMIC_C_SIZE x MAC_ATOMIC_K_SIZE)"
# MACs -> (Atomic-C, Atomic-K, the nvdla/hw project that builds it; None: no build of that size there)
ATOMIC_SHAPES: dict[int, tuple[int, int, str | None]] = {
    2048: (64, 32, "nv_large"), 1024: (64, 16, "nv_medium_1024_full"), 512: (32, 16, "nv_medium_512"),
    256: (32, 8, "nv_small_256"), 128: (32, 4, None), 64: (8, 8, "nv_small"), 32: (8, 4, None),
}
SHAPE_NOTE = ("array rows x cols = Atomic-C x Atomic-K of NVIDIA's own builds (" + NVDLA_HW_SPECS + "): 2048 64x32 "
              "nv_large, 1024 64x16 nv_medium_1024_full, 512 32x16 nv_medium_512, 256 32x8 nv_small_256, 64 8x8 "
              "nv_small; assumption for 128 (32x4) and 32 (8x4) MACs, which have no build there")
SPLIT_NOTE = "assumption: the convolution buffer split evenly between data and weights"
CACC_NOTE = "assumption: 64 KiB accumulator (CACC) buffer (not published)"


@dataclass(frozen=True)
class NvdlaRow:
    """One row of the NVDLA primer table (figures as published)."""

    macs: int
    conv_buffer_kb: int
    sdram_gb_per_s: float
    area_mm2_28nm: float
    resnet50_frames_per_s: float

    @property
    def name(self) -> str:
        return f"nvdla-{self.macs}"


NVDLA_ROWS = (
    NvdlaRow(2048, 512, 20, 5.5, 269), NvdlaRow(1024, 256, 15, 3.0, 153), NvdlaRow(512, 256, 10, 2.3, 93),
    NvdlaRow(256, 256, 5, 1.7, 46), NvdlaRow(128, 256, 2, 1.4, 20), NvdlaRow(64, 128, 1, 0.91, 7.3),
    NvdlaRow(32, 128, 0.5, 0.85, 3.6),
)


def _shape_note(macs: int) -> str:
    c, k, project = ATOMIC_SHAPES[macs]
    if project is None:
        return f"assumption: Atomic-C x Atomic-K = {c} x {k} (nvdla/hw has no {macs}-MAC build)"
    return f"{NVDLA_HW_SPECS}: {project} is Atomic-C {c} x Atomic-K {k} (rows x cols)"


def nvdla_design(row: NvdlaRow) -> Design:
    """The primer row as a Design (KB read as 1024 bytes)."""
    rows, cols, _ = ATOMIC_SHAPES[row.macs]
    half = row.conv_buffer_kb * 1024 // 2
    src = f"{NVDLA_PRIMER}, {row.macs}-MAC row"
    return Design(
        name=row.name, rows=rows, cols=cols, dataflow="ws", ifmap_sram_bytes=half,
        filter_sram_bytes=half, ofmap_sram_bytes=64 * 1024, dram_bandwidth_byte_per_s=row.sdram_gb_per_s * 1e9,
        clock_hz=CLOCK_HZ, dtype="int8", tech_node_nm=28,
        description=f"NVDLA primer configuration: {row.macs} int8 MACs, {row.conv_buffer_kb} KB convolution buffer, "
                    f"{row.sdram_gb_per_s:g} GB/s SDRAM; published ResNet-50 {row.resnet50_frames_per_s:g} frames/s",
        sources={"macs": src, "ifmap_sram_bytes": f"{src} ({SPLIT_NOTE})", "filter_sram_bytes": f"{src} ({SPLIT_NOTE})",
                 "dram_bandwidth_byte_per_s": src, "tech_node_nm": f"{src}: area quoted at 28 nm",
                 "dtype": f"{src}: int8", "clock_hz": CLOCK_NOTE, "rows": _shape_note(row.macs),
                 "cols": _shape_note(row.macs), "ofmap_sram_bytes": CACC_NOTE,
                 "dataflow": "NVDLA hwarch, Convolution Core: weights held in the MAC cells while feature data "
                             "streams (weight-stationary)"})


def nvdla_names() -> list[str]:
    return [r.name for r in NVDLA_ROWS]


def nvdla_by_name(name: str) -> Design:
    for r in NVDLA_ROWS:
        if r.name == name:
            return nvdla_design(r)
    raise unknown_name("NVDLA primer configuration", name, nvdla_names())


@dataclass(frozen=True)
class PublishedCheck:
    """A prediction beside its published figure."""

    design: Design
    published_frames_per_s: float
    predicted_frames_per_s: float
    stall_fraction: float
    utilization: float

    @property
    def error(self) -> float:
        """(predicted - published) / published."""
        return self.predicted_frames_per_s / self.published_frames_per_s - 1.0

    def to_dict(self) -> dict[str, object]:
        d = self.design
        return {"design": d.name, "macs": d.macs, "conv_buffer_bytes": d.ifmap_sram_bytes + d.filter_sram_bytes,
                "dram_bandwidth_byte_per_s": d.dram_bandwidth_byte_per_s,
                "published_frames_per_s": self.published_frames_per_s,
                "predicted_frames_per_s": self.predicted_frames_per_s, "error": self.error,
                "stall_fraction": self.stall_fraction, "utilization": self.utilization}


def check_nvdla(convention: str = "paper") -> list[PublishedCheck]:
    """Predicted ResNet-50 (v1, batch 1) frames/s for every NVDLA primer row, beside the published figure."""
    from accelopt.simulate.engine import layer_arrays, simulate
    from accelopt.simulate.layers import resnet50_layers

    layers = resnet50_layers()
    arr, names, kinds = layer_arrays(layers), [x.name for x in layers], [x.kind for x in layers]
    out = []
    for row in NVDLA_ROWS:
        r = simulate(nvdla_design(row), arr, convention, names, kinds)
        t = r.totals()
        out.append(PublishedCheck(design=r.design, published_frames_per_s=row.resnet50_frames_per_s,
                                  predicted_frames_per_s=1.0 / r.latency_s,
                                  stall_fraction=t.stall_cycles / t.total_cycles, utilization=t.utilization))
    return out
