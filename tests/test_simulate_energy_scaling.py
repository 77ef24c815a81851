"""Technology-node energy scaling of `accelopt simulate` (Stillmaker & Baas 2017) and its input checks."""

from __future__ import annotations

import pytest

from accelopt.errors import InputError
from accelopt.simulate.design import Design, load_preset
from accelopt.simulate.energy import (
    MAX_NODE_NM,
    MIN_NODE_NM,
    NOMINAL_VDD_V,
    energy_table,
    node_factor,
    nominal_vdd_v,
    sb_energy_factor,
)


def test_published_worked_example() -> None:
    # Stillmaker & Baas, Integration 58 (2017), Sec. 4.2.1 as corrected by the authors' erratum
    # (vcl.ece.ucdavis.edu/pubs/2017.02.VLSIintegration.TechScale): 1 pJ/op at 65 nm, 1.3 V scaled to
    # 32 nm, 0.9 V: factor_x = 0.4571, factor_y = 2.604, E_x = 0.1755 pJ/op.
    fx, fy = sb_energy_factor(32, 0.9), sb_energy_factor(65, 1.3)
    assert fx == pytest.approx(0.4571, abs=1e-4)
    assert fy == pytest.approx(2.604, abs=1e-3)
    assert fx / fy == pytest.approx(0.1755, abs=1e-4)


def test_node_factor_anchor_table_nodes_and_interpolation() -> None:
    assert node_factor(45, 0.9) == pytest.approx(1.0)  # Horowitz ISSCC 2014: 45 nm at 0.9 V
    # at a table node the factor is the ratio of the two fitted polynomials
    assert node_factor(32, 0.9) == pytest.approx(sb_energy_factor(32, 0.9) / sb_energy_factor(45, 0.9))
    assert node_factor(65) == pytest.approx(sb_energy_factor(65, 1.1) / sb_energy_factor(45, 0.9))
    # between table nodes: between its neighbours (log-log interpolation)
    lo, hi = sorted((node_factor(32, 0.9), node_factor(20, 0.9)))
    assert lo < node_factor(28, 0.9) < hi
    # smaller nodes cost less energy at their nominal supply, larger ones more
    nodes = sorted(NOMINAL_VDD_V)
    factors = [node_factor(n) for n in nodes]
    assert factors == sorted(factors)
    # a higher supply costs more energy at the same node (quadratic in V)
    assert node_factor(28, 1.0) > node_factor(28, 0.8)


def test_nominal_vdd_and_range() -> None:
    assert nominal_vdd_v(45) == pytest.approx(1.0) and nominal_vdd_v(7) == pytest.approx(0.7)
    for bad in (MIN_NODE_NM - 1, MAX_NODE_NM + 1, 1e6):
        with pytest.raises(InputError, match="outside"):
            node_factor(bad)
    with pytest.raises(InputError, match="vdd_v"):
        node_factor(180, 0.5)  # 24.64 x 0.5 - 17.98 < 0: outside the fit


def test_energy_table_scales_on_chip_not_dram() -> None:
    base = energy_table("int8", 8, 45, 8192, 8192, 8192, vdd_v=0.9)
    small = energy_table("int8", 8, 7, 8192, 8192, 8192)
    f = node_factor(7)
    assert small.mac_j == pytest.approx(base.mac_j * f)
    assert small.ifmap_sram_j_per_elem == pytest.approx(base.ifmap_sram_j_per_elem * f)
    assert small.dram_j_per_byte == base.dram_j_per_byte


def _design(**kw: object) -> Design:
    base = dict(name="t", rows=8, cols=8, dataflow="os", ifmap_sram_bytes=8192, filter_sram_bytes=8192,
                ofmap_sram_bytes=8192, dram_bandwidth_byte_per_s=1e10, clock_hz=1e9, dtype="int8",
                tech_node_nm=28)
    base.update(kw)
    return Design(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "needle"), [
    ({"tech_node_nm": 3}, "tech_node_nm = 3"),
    ({"tech_node_nm": 250}, "outside 7-180"),
    ({"vdd_v": -1.0}, "vdd_v"),
    ({"vdd_v": float("nan")}, "vdd_v"),
    ({"dram_latency_s": float("nan")}, "dram_latency_s"),
    ({"dram_bytes": True}, "dram_bytes"),
    ({"dtype": ["int8"]}, "dtype"),
    ({"dataflow": ["os"]}, "dataflow"),
    ({"description": 5}, "description"),
])
def test_design_rejects_bad_values(changes: dict[str, object], needle: str) -> None:
    with pytest.raises(InputError, match=needle.replace("(", r"\(")):
        _design(**changes)


def test_eyeriss_preset_supply_is_cited() -> None:
    d = load_preset("eyeriss")
    assert d.vdd_v == 1.0 and "1 V" in d.sources["vdd_v"]
