"""An MI250X package holds two GCDs of 64 GiB each (ut_readme).

`catalog list` showed mi250x with 128 GB (128e9 B, the datasheet's '128 GB' read as 1e9 bytes) and mi250x-gcd with
68.7 GB (64 GiB, the ROCm table's 128 GiB / 2): the package held less than its two halves (128e9 < 2 x 64 GiB), and
README says the GCD entry is half the package's figures. AMD's memory sizes are GiB (the ROCm 'GPU hardware
specifications' table lists the MI250X's VRAM as 128 GiB, the catalog's rocmdocs-mi250x; MI300X's '192 GB' is read
the same way in the catalog)."""

from __future__ import annotations

from accelopt.hardware.catalog import get_device


def test_mi250x_package_is_two_gcds_of_memory() -> None:
    pkg, gcd = get_device("mi250x"), get_device("mi250x-gcd")
    assert pkg.memory_bytes == 128 * 2**30  # ROCm table: VRAM 128 GiB
    assert gcd.memory_bytes * 2 == pkg.memory_bytes
    assert "rocmdocs" in pkg.sources["memory_bytes"] or "ROCm documentation" in pkg.sources["memory_bytes"]
