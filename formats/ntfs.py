"""NTFS boot sector (first 512 bytes of the volume), little-endian."""

from construct import Bytes, Int8sl, Int8ul, Int16ul, Int32ul, Int64ul, Struct

OEM_ID = b"NTFS    "

NtfsBootSector = Struct(
    "jump" / Bytes(3),
    "oem_id" / Bytes(8),
    "bytes_per_sector" / Int16ul,
    "sectors_per_cluster" / Int8ul,  # values above 0x80 mean 2**(256 - value)
    "reserved_sectors" / Int16ul,
    "unused1" / Bytes(5),
    "media" / Int8ul,
    "unused2" / Bytes(2),
    "sectors_per_track" / Int16ul,
    "heads" / Int16ul,
    "hidden_sectors" / Int32ul,  # 0x1C: partition start, used by the Windows boot code
    "unused3" / Bytes(8),
    "total_sectors" / Int64ul,  # 0x28: excludes the backup boot sector
    "mft_lcn" / Int64ul,
    "mftmirr_lcn" / Int64ul,
    "clusters_per_mft_record" / Int8sl,  # negative: 2**-value bytes
    "unused4" / Bytes(3),
    "clusters_per_index_record" / Int8sl,
    "unused5" / Bytes(3),
    "serial" / Int64ul,
    "checksum" / Int32ul,
    "boot_code" / Bytes(426),
    "end_signature" / Int16ul,
)
