"""The one place pyparted is imported: libparted as a second, independent reader of the
partition table a restore wrote (our own construct writers produce it: libparted 3.5 cannot
set GPT type GUIDs, partition GUIDs or MBR type bytes)."""

from __future__ import annotations

import parted


def table_as_parted_sees_it(path: str) -> dict[int, tuple[int, int]] | str:
    """{partition number: (start, size) in bytes} as libparted reads ``path``'s table, or why
    it could not read it."""
    try:
        device = parted.getDevice(path)
        disk = parted.newDisk(device)
    except (parted.PartedException, parted.DiskException, parted.IOException, parted.DeviceException) as exc:
        return f"libparted cannot read the table: {exc}"
    unit = device.sectorSize
    return {p.number: (p.geometry.start * unit, p.geometry.length * unit) for p in disk.partitions}
