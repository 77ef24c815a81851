"""Catalog prices: every price per device-hour has a 'YYYY-MM' date and a cited public price page
naming the instance; the figure equals the cited instance price / accelerators per instance (the
host is included); spot checks of the added figures against the numbers on the cited pages."""

from __future__ import annotations

import re

import pytest

from accelopt.hardware.catalog import default_catalog, get_device

PRICED = [s for s in default_catalog() if s.price_usd_per_hour is not None]

# "USD 63.296/h ... / 8 GPUs = USD 7.912 per GPU-hour": instance price, accelerator count, quotient
_DIVISION = re.compile(r"USD ([\d.]+)/h.*?/ (\d+) (?:GPUs?|chips?) = USD ([\d.]+) per (?:GPU|chip)-hour")
# Lambda-style pages quote the price per GPU-hour directly
_PER_GPU = re.compile(r"USD ([\d.]+) per GPU-hour")
_INSTANCE = re.compile(r"[a-z0-9-]+\.\d*x?large|\d+x NVIDIA|TPU pricing|Lambda")


def test_the_expected_devices_are_priced() -> None:
    names = {s.name for s in PRICED}
    added = {"a100-sxm-80gb", "h100-pcie", "h200", "b200", "l4", "t4", "l40s"}
    earlier = {"a100-sxm-40gb", "h100-sxm", "tpu-v5e", "tpu-v5p", "tpu-v6e", "trainium1", "inferentia2"}
    assert added | earlier <= names


@pytest.mark.parametrize("spec", PRICED, ids=lambda s: s.name)
def test_price_has_month_date_and_cited_page(spec) -> None:  # type: ignore[no-untyped-def]
    assert re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", spec.price_date or ""), spec.price_date
    src = spec.source_of("price_usd_per_hour")
    assert src and "https://" in src, src
    assert _INSTANCE.search(src), f"{spec.name}: price source names no instance or price list: {src}"
    assert spec.price_date in src, f"{spec.name}: price_date {spec.price_date} not stated as seen in {src!r}"


@pytest.mark.parametrize("spec", PRICED, ids=lambda s: s.name)
def test_price_is_per_device_hour_and_plausible(spec) -> None:  # type: ignore[no-untyped-def]
    assert 0.05 <= spec.price_usd_per_hour <= 100.0


@pytest.mark.parametrize("spec", PRICED, ids=lambda s: s.name)
def test_price_equals_the_cited_division(spec) -> None:  # type: ignore[no-untyped-def]
    src = spec.source_of("price_usd_per_hour") or ""
    p = spec.price_usd_per_hour
    m = _DIVISION.search(src)
    if m:
        instance_usd, n, quotient = float(m.group(1)), int(m.group(2)), float(m.group(3))
        assert instance_usd / n == pytest.approx(quotient, abs=0.01)
        assert p == pytest.approx(quotient, abs=0.006)
    elif spec.name.startswith("tpu-"):
        # Google's TPU page quotes per chip-hour for several versions in one citation
        assert f"USD {p:.2f}" in src
    else:
        m2 = _PER_GPU.search(src)
        assert m2, f"{spec.name}: citation gives neither a division nor a per-GPU-hour price: {src}"
        assert p == pytest.approx(float(m2.group(1)))


# Spot checks against the cited pages (numbers copied from them, then divided here).
@pytest.mark.parametrize(("name", "instance_usd_per_h", "devices"), [
    # Amazon EC2 On-Demand, p5en.48xlarge (8x H200) USD 63.296/h us-east-1, seen 2026-08 in
    # https://github.com/dstackai/dstack/pull/4110 ('dstack offer -b aws --instance-type p5en.48xlarge')
    ("h200", 63.296, 8),
    # Amazon EC2 On-Demand, p4de.24xlarge (8x A100 80GB) USD 27.44705/h us-east-1, retrieved 2026-11-09,
    # https://raw.githubusercontent.com/datareceipts/data-receipts/main/109-gpu-pricing/hyperscalers.json
    ("a100-sxm-80gb", 27.44705, 8),
    # Amazon EC2 On-Demand, g6.xlarge (1x L4) USD 0.8048/h us-east-1 (2026-08);
    # https://www.devzero.io/instances/aws/g6.xlarge
    ("l4", 0.8048, 1),
    # Amazon EC2 On-Demand, g6e.xlarge (1x L40S) USD 1.861/h us-east-1 (2026-08);
    # https://www.devzero.io/instances/aws/g6e.xlarge
    ("l40s", 1.861, 1),
    # Amazon EC2 On-Demand, g4dn.xlarge (1x T4) USD 0.526/h us-east-1; https://aws.amazon.com/ec2/pricing/on-demand/
    ("t4", 0.526, 1),
    # Lambda, https://lambda.ai/instances (read 2026-09-20): '8x NVIDIA B200 SXM6' USD 6.69 per GPU-hour,
    # i.e. USD 53.52 per 8-GPU instance-hour
    ("b200", 53.52, 8),
    # Lambda, https://lambda.ai/instances (read 2026-09-20): '1x NVIDIA H100 PCIe' USD 3.29 per GPU-hour
    ("h100-pcie", 3.29, 1),
])
def test_spot_check_against_cited_page(name: str, instance_usd_per_h: float, devices: int) -> None:
    spec = get_device(name)
    assert spec.price_usd_per_hour == pytest.approx(instance_usd_per_h / devices, abs=0.001)


def test_h200_rents_for_more_than_h100_and_t4_is_cheapest_priced_gpu() -> None:
    # sanity of ordering within one vendor's price list (AWS us-east-1): p5en > p4de per GPU, g4dn < g6 < g6e
    assert get_device("h200").price_usd_per_hour > get_device("a100-sxm-80gb").price_usd_per_hour  # type: ignore[operator]
    t4, l4, l40s = (get_device(n).price_usd_per_hour for n in ("t4", "l4", "l40s"))
    assert t4 is not None and l4 is not None and l40s is not None
    assert t4 < l4 < l40s
