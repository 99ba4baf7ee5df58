"""NTFS: detection from the boot sector."""

from __future__ import annotations

from formats.ntfs import OEM_ID, NtfsBootSector

from ..errors import FilesystemError
from ..extent import ExtentMap, runs_from_bitmap
from . import tsk
from .model import AllocationMap, FilesystemInfo, Reader, check_fits, is_power_of_two


def cluster_size(boot) -> int | None:
    """Bytes per cluster from a parsed boot sector, or None if the fields are impossible."""
    if boot.bytes_per_sector not in (512, 1024, 2048, 4096):
        return None
    spc = boot.sectors_per_cluster
    if spc > 0x80:
        shift = 256 - spc
        if shift > 12:  # 2 MiB clusters is the most Windows makes
            return None
        spc = 1 << shift
    if not is_power_of_two(spc):
        return None
    return spc * boot.bytes_per_sector


def detect(read: Reader, size: int) -> FilesystemInfo | None:
    data = read(0, 512)
    if len(data) < 512 or data[3:11] != OEM_ID:
        return None
    boot = NtfsBootSector.parse(data)
    csize = cluster_size(boot)
    if csize is None or boot.total_sectors == 0:
        return None
    return FilesystemInfo(
        fs_type="ntfs",
        label=tsk.ntfs_volume_label(read, size),
        uuid=f"{boot.serial:016X}",
        block_size=csize,
        size=boot.total_sectors * boot.bytes_per_sector,
    )


_BITMAP_INODE = 6
_VOLUME_INODE = 3
_VOLUME_INFORMATION_ATTR = 0x70
_VOLUME_DIRTY = 0x0001


def allocation(read: Reader, size: int) -> AllocationMap:
    """Clusters set in $Bitmap (MFT entry 6, read through TSK), the boot sector, and everything
    past the last whole cluster up to the end of the partition (the backup boot sector lives
    there and $Bitmap does not cover it).  Raises FilesystemError if $Bitmap cannot be read."""
    boot = NtfsBootSector.parse(read(0, 512))
    csize = cluster_size(boot)
    check_fits("ntfs", boot.total_sectors * boot.bytes_per_sector, size)
    clusters = boot.total_sectors * boot.bytes_per_sector // csize
    fs = tsk.open_filesystem(read, size)
    if fs is None:
        raise FilesystemError("NTFS: The Sleuth Kit cannot open the volume to read $Bitmap")
    bitmap = tsk.read_file(fs, inode=_BITMAP_INODE, limit=(clusters + 7) // 8 + 8)
    if bitmap is None or len(bitmap) * 8 < clusters:
        raise FilesystemError(
            f"NTFS: $Bitmap holds {len(bitmap or b'') * 8} bits, expected at least {clusters} (one per cluster)"
        )
    used = runs_from_bitmap(bitmap, csize, bit_count=clusters)
    tail_start = clusters * csize
    always = [(0, boot.bytes_per_sector), (tail_start, max(0, size - tail_start))]
    used = used.union(ExtentMap.of(always)).clip(0, size)
    notes = volume_state(fs)  # every NTFS state note is a reason not to image it as it is
    return AllocationMap(fs_type="ntfs", block_size=csize, used=used,
                         method="$Bitmap", source="NTFS $Bitmap (via The Sleuth Kit) + boot sectors",
                         notes=tuple(notes), unsafe=tuple(notes))


def volume_state(fs) -> list[str]:
    """Why imaging this volume needs care: dirty flag, hibernated Windows / Fast Startup."""
    notes = []
    info = tsk.read_attribute(fs, _VOLUME_INODE, _VOLUME_INFORMATION_ATTR, 16)
    if info and len(info) >= 12 and int.from_bytes(info[10:12], "little") & _VOLUME_DIRTY:
        notes.append("NTFS volume is marked dirty: Windows did not shut down cleanly (run chkdsk from Windows)")
    hiber = tsk.read_file(fs, path="/hiberfil.sys", limit=8)
    if hiber and hiber[:4].lower() in (b"hibr", b"wake"):
        notes.append("Windows is hibernated or was shut down with Fast Startup (hiberfil.sys is active): "
                     "boot Windows and shut down fully (shift+Shut down) before imaging")
    return notes
