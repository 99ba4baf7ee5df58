"""Master boot record and extended boot record (EBR) layout, 512 bytes, little-endian."""

from construct import Array, Bytes, Int8ul, Int16ul, Int32ul, Struct

MBR_SIZE = 512
BOOT_SIGNATURE = 0xAA55

MbrPartitionEntry = Struct(
    "status" / Int8ul,  # 0x80 = bootable
    "chs_first" / Bytes(3),
    "type" / Int8ul,
    "chs_last" / Bytes(3),
    "lba_start" / Int32ul,  # in sectors; for an EBR entry relative to its base
    "sector_count" / Int32ul,
)

# The same 512-byte layout serves the MBR and every EBR of the logical chain
# (an EBR uses only the first two entries).
Mbr = Struct(
    "boot_code" / Bytes(440),
    "disk_signature" / Int32ul,
    "reserved" / Int16ul,
    "partitions" / Array(4, MbrPartitionEntry),
    "boot_signature" / Int16ul,
)
