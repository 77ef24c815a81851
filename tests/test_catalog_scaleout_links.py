"""Cited scale-out figures for catalog devices that listed a scale-up link but no network between nodes (rcatlinks,
2026-12-05). Before: past one scale-up domain `plan` put such a device's collectives on a printed 100 Gb/s Ethernet
default (comm.DEFAULT_SCALEOUT_BW, an assumption) and `plan serve` stopped naming scaleout_bandwidth_byte_per_s.

Each figure below is worked by hand from its source, in the catalog's convention: per device, per direction
(hardware/spec.py; InfiniBand ports are full duplex, so a port's 400 Gb/s is 400 Gb/s each way).
- MI300X: Microsoft Azure, 'ND MI300X v5-series' (MicrosoftDocs/azure-docs
  articles/virtual-machines/sizes/gpu-accelerated/nd-mi300x-v5-series.md at 0f100e6bcc4c4dd98efb1c26cbe3b6122bbcf264):
  'Infiniband: Supported, GPUDirect RDMA, 8x400 Gigabit NDR', Standard_ND96isr_MI300X_v5 with '8 MI300X'.
- MI355X: ROCm documentation, 'SGLang distributed inference with MoRI' (2026-01-29): 'GPUs 8x AMD Instinct MI355X GPU
  cards per node', 'Networking: 8x AMD Pensando Pollara 400 AI NICs per node, providing a dedicated 1:1 mapping between
  GPUs and network interfaces'.
- MI325X (utcat, 2026-12-05; derived from two sources): MLPerf Training v5.1, MangoBoost's 2-node MI325X system
  (mlcommons/training_results_v5.1 MangoBoost/systems/MI325X-LLMBoost-GPUBoost-2node.json at 4da2d1cd):
  accelerators_per_node 8, host_network_card_count 8, 'Ethernet(RoCEv2)', no port speed; ROCm/gpu-cluster-networking
  docs/reference/hardware-support.rst (at 0499ce83), 'NICs for AMD Instinct MI325X': each NIC listed is 400 Gb/s.
- MI250X, one GCD (utcat, 2026-12-05): OLCF 'Frontier User Guide' (olcf/olcf-user-docs systems/frontier_user_guide.rst
  at 000387a9): '[4x] AMD MI250X, each with 2 Graphics Compute Dies (GCDs) for a total of 8 GCDs per node'; 'The
  Frontier nodes are connected with [4x] HPE Slingshot 200 Gbps (25 GB/s) NICs'.
- V100 SXM2: NVIDIA, 'NVIDIA DGX-1 With Tesla V100 System Architecture' whitepaper: '8 NVIDIA Tesla V100 GPU
  accelerators ... Together with dual-socket Intel Xeon CPUs and four 100 Gb InfiniBand network interface cards'.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device

GBIT = 1e9 / 8  # bytes per second in one Gb/s

# (device, per-device per-direction bytes/s worked from the source quoted in the module docstring)
CITED = [
    ("mi300x", 8 * 400 * GBIT / 8),  # Azure ND MI300X v5: 8 x 400 Gb/s NDR for 8 MI300X = 50e9 B/s per GPU
    ("mi355x", 8 * 400 * GBIT / 8),  # AMD's MI355X node: 8 x 400 Gb/s Pollara NICs for 8 MI355X, 1:1 = 50e9 B/s per GPU
    ("mi325x", 8 * 400 * GBIT / 8),  # MLPerf 2-node MI325X: 8 RoCE NICs per 8 GPUs, 400 Gb/s each (AMD's list)
    ("v100-sxm", 4 * 100 * GBIT / 8),  # DGX-1 (V100): 4 x 100 Gb/s InfiniBand for 8 V100 = 6.25e9 B/s per GPU
    ("mi250x-gcd", 4 * 200 * GBIT / 8),  # OLCF Frontier: 4 x 200 Gb/s Slingshot NICs per node of 8 GCDs = 12.5e9 B/s
]


@pytest.mark.parametrize("device,want", CITED)
def test_scale_out_figure_is_the_sources(device: str, want: float) -> None:
    spec = get_device(device)
    assert spec.scaleout_bandwidth_byte_per_s == pytest.approx(want, rel=1e-12)
    assert spec.sources["scaleout_bandwidth_byte_per_s"]  # cited, shown by `catalog show`


@pytest.mark.parametrize("device", ["mi300x", "mi325x", "mi355x", "v100-sxm", "l40s", "l4", "mi250x-gcd"])
def test_plan_past_one_node_prints_no_scale_out_default(device: str, capsys: pytest.CaptureFixture[str]) -> None:
    # 64 devices = 8 nodes of 8: the data-parallel all-reduce crosses nodes on the cited network, not the default
    code, out, err = run_main(["plan", "--model", "gpt3-1.3b", "--hardware", device, "--devices", "64",
                               "--dtype", "fp16", "--top", "1", "--json"], capsys)
    assert code == 0, err
    assumed = json.loads(out)["assumed"].get(device, [])
    assert "scaleout_bandwidth_byte_per_s" not in {a["field"] for a in assumed}, assumed


def test_plan_serve_mi300x_tp16_runs_on_the_cited_network(capsys: pytest.CaptureFixture[str]) -> None:
    # before: exit 2, '16 devices span 2 scale-up domains of 8' naming scaleout_bandwidth_byte_per_s
    code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", "--batch", "1", "--prompt", "128", "--output",
                             "16", "--hardware", "mi300x", "--tp", "16"], capsys)
    assert code == 0, err


def test_l40s_scale_out_is_the_g6e_instance_network() -> None:
    # Amazon EC2 G6e page (as transcribed, catalog source aws-g6e-net): 'g6e.48xlarge | 8 | ... | 400' Gbps: 400 Gb/s
    # for 8 L40S; the cited figure is half plan's 12.5e9 default, which it replaces
    assert get_device("l40s").scaleout_bandwidth_byte_per_s == pytest.approx(400 * GBIT / 8, rel=1e-12)


def test_l4_scale_out_is_the_g6_instance_network() -> None:
    # Amazon EC2 G6 page (two transcriptions, catalog source aws-g6-net): 'g6.48xlarge | 8 | ... | 100 Gbps': 100 Gb/s
    # for 8 L4 = 12.5 Gb/s per GPU
    assert get_device("l4").scaleout_bandwidth_byte_per_s == pytest.approx(100 * GBIT / 8, rel=1e-12)


def test_t4_scale_out_is_the_g4dn_metal_network() -> None:
    # Amazon EC2 User Guide, 'Linux accelerated computing instances' (awsdocs/amazon-ec2-user-guide
    # doc_source/accelerated-computing-instances.md @ 3a075fc9, catalog source aws-g4dn-net): 'g4dn.metal | 96 | 384 |
    # 8' (vCPUs, GiB, accelerators) and network 'g4dn.metal | inf1.24xlarge | p3dn.24xlarge | 100 Gbps': 100 Gb/s / 8 T4
    assert get_device("t4").scaleout_bandwidth_byte_per_s == pytest.approx(100 * GBIT / 8, rel=1e-12)


def test_rtx_pro_6000_scale_out_is_the_g7e_network() -> None:
    # g7e sizes (catalog source aws-g7e-net): 'g7e.48xlarge | 8 | 768 GB | ... | 1600 Gbps': 1600 Gb/s for 8 GPUs
    assert get_device("rtx-pro-6000-server").scaleout_bandwidth_byte_per_s == pytest.approx(1600 * GBIT / 8, rel=1e-12)


def test_mi250x_gcd_links_are_the_packages_four_infinity_fabric_links() -> None:
    # ROCm docs, 'AMD Instinct MI250 microarchitecture' (catalog source rocm-mi250-arch): 'Infinity Fabric links ...
    # up to 25 GT/sec, ... 50 GB/sec for a 16-wide link (two bytes per transaction)'; 'The two GCDs in the package are
    # connected via four AMD Infinity Fabric links ... giving 200 GB/sec peak transfer bandwidth between the two GCDs
    # of an OAM, or a bidirectional peak transfer bandwidth of 400 GB/sec': per GCD per direction 4 x 25e9 x 2 B
    gcd = get_device("mi250x-gcd")
    assert gcd.scaleup_domain_devices == 2  # the package's two GCDs
    assert gcd.scaleup_bandwidth_byte_per_s == pytest.approx(4 * 25e9 * 2, rel=1e-12)
    assert gcd.scaleup_bandwidth_byte_per_s == pytest.approx(400e9 / 2, rel=1e-12)  # the page's bidirectional figure
    # the network (utcat, 2026-12-05): OLCF Frontier, 4 x 200 Gb/s Slingshot NICs per node of 4 MI250X = 8 GCDs;
    # package-to-package Infinity Fabric links not stored
    assert gcd.scaleout_bandwidth_byte_per_s == pytest.approx(4 * 200 * GBIT / 8, rel=1e-12)
    assert get_device("mi250x").scaleup_bandwidth_byte_per_s is None  # per package: the page draws, not tabulates


def test_plan_serve_tp2_over_one_mi250x_packages_gcds_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # before: exit 2, 'tensor parallelism over 2 x mi250x-gcd: its spec lists no link between devices'
    code, out, err = run_main(["plan", "serve", "--model", "llama2-7b", "--batch", "1", "--hardware", "mi250x-gcd",
                               "--tp", "2"], capsys)
    assert code == 0, err
    assert "scaleup_bandwidth_byte_per_s" not in out + err  # the cited figure, no default in its place


def test_mi325x_scale_out_cites_both_sources_and_says_derived() -> None:
    """MI325X's figure joins two sources, neither of which gives both the NIC count and the speed: the source string
    names both, and the device's notes say the figure is derived."""
    mi = get_device("mi325x")
    src = mi.sources["scaleout_bandwidth_byte_per_s"]
    assert "MI325X-LLMBoost-GPUBoost-2node.json" in src and "host_network_card_count 8" in src
    assert "NICs for AMD Instinct MI325X" in src and "Derived: 8 x 400 Gb/s for 8 GPUs" in src
    assert "derived from two sources" in mi.notes
    assert mi.scaleup_domain_devices == 8  # the 8 NICs serve one 8-GPU Infinity Fabric domain


def test_mi250x_gcd_notes_say_the_network_figure_is_cited() -> None:
    """The notes describe the device as stored: they said 'no network figure is cited' before the sentence that cites
    one (utcat, 2026-12-05); the description now names the cited figure and its source, not the superseded default."""
    gcd = get_device("mi250x-gcd")
    assert "no network figure is cited" not in gcd.notes
    assert "olcf-frontier-net" in gcd.notes and "Frontier" in gcd.sources["scaleout_bandwidth_byte_per_s"]
    assert "cited since 2026-12-05" in gcd.notes


# utdist (2026-12-06): the devices still without a cited scale-out figure. Searched: mi350x (ROCm
# gpu-cluster-networking docs/design/mi3xx.rst at 8f9c5ece names the MI3XX backside NIC models, Pollara 400 and Thor2,
# but no NIC count per GPU; mlcommons/training_results_v5.1 AMD/systems/MI350X_EPYC_9575F_pytorch.json at 4da2d1cd
# is one node whose '6 x 40Gbit/s, 4 x 10Gbit/s' host NICs are its front end, not a GPU network); tpu-v4 (the Cloud
# TPU 'TPU v4' page's key-specifications table lists no data-center-network figure, unlike v5e's and v6e's);
# h100-pcie and rtx-4090 (PCIe cards: a server's NIC is its builder's choice, on no datasheet). Each keeps plan's
# 100 Gb/s default, which must stay printed beside the result and listed in the JSON.
UNCITED = [("mi350x", "16"), ("tpu-v4", "8192"), ("h100-pcie", "4"), ("rtx-4090", "16")]


@pytest.mark.parametrize("device,devices", UNCITED)
def test_a_device_without_a_cited_network_says_the_default_it_uses(device: str, devices: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict import comm

    spec = get_device(device)
    assert spec.scaleout_bandwidth_byte_per_s is None  # a cited figure replaces this test's row
    argv = ["plan", "--model", "gpt3-1.3b", "--hardware", device, "--devices", devices, "--dtype", "bf16",
            "--top", "1"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    assumed = {a["field"]: a for a in json.loads(out)["assumed"][device]}
    assert assumed["scaleout_bandwidth_byte_per_s"]["value"] == comm.DEFAULT_SCALEOUT_BW
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    text = " ".join((out + err).split())
    assert f"{device}: scaleout_bandwidth_byte_per_s = {comm.DEFAULT_SCALEOUT_BW:.3g} (assumed" in text
