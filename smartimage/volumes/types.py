"""Human names for GPT partition type GUIDs and MBR partition type bytes."""

GPT_TYPES = {
    "00000000-0000-0000-0000-000000000000": "Unused",
    "c12a7328-f81f-11d2-ba4b-00a0c93ec93b": "EFI System",
    "024dee41-33e7-11d3-9d69-0008c781f39f": "MBR partition scheme",
    "21686148-6449-6e6f-744e-656564454649": "BIOS boot",
    "e3c9e316-0b5c-4db8-817d-f92df00215ae": "Microsoft reserved",
    "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7": "Microsoft basic data",
    "de94bba4-06d1-4d40-a16a-bfd50179d6ac": "Windows recovery",
    "5808c8aa-7e8f-42e0-85d2-e1e90434cfb3": "Windows LDM metadata",
    "af9b60a0-1431-4f62-bc68-3311714a69ad": "Windows LDM data",
    "e75caf8f-f680-4cee-afa3-b001e56efc2d": "Windows Storage Spaces",
    "0fc63daf-8483-4772-8e79-3d69d8477de4": "Linux filesystem",
    "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f": "Linux swap",
    "e6d6d379-f507-44c2-a23c-238f2a3df928": "Linux LVM",
    "a19d880f-05fc-4d3b-a006-743f0f84911e": "Linux RAID",
    "933ac7e1-2eb4-4f13-b844-0e14e2aef915": "Linux home",
    "3b8f8425-20e0-4f3b-907f-1a25a76f98e8": "Linux server data",
    "bc13c2ff-59e6-4262-a352-b275fd6f7172": "Linux extended boot",
    "ca7d7ccb-63ed-4c53-861c-1742536059cc": "Linux LUKS",
    "4f68bce3-e8cd-4db1-96e7-fbcaf984b709": "Linux root (x86-64)",
    "44479540-f297-41b2-9af7-d131d5f0458a": "Linux root (x86)",
    "b921b045-1df0-41c3-af44-4c6f280d3fae": "Linux root (ARM64)",
    "48465300-0000-11aa-aa11-00306543ecac": "Apple HFS+",
    "7c3457ef-0000-11aa-aa11-00306543ecac": "Apple APFS",
    "426f6f74-0000-11aa-aa11-00306543ecac": "Apple boot",
    "516e7cb4-6ecf-11d6-8ff8-00022d09712b": "FreeBSD data",
    "83bd6b9d-7f41-11dc-be0b-001560b84f0f": "FreeBSD boot",
    "6a898cc3-1dd2-11b2-99a6-080020736631": "ZFS / Solaris /usr",
}

MBR_TYPES = {
    0x00: "Empty",
    0x01: "FAT12",
    0x04: "FAT16 <32M",
    0x05: "Extended",
    0x06: "FAT16",
    0x07: "HPFS/NTFS/exFAT",
    0x0B: "W95 FAT32",
    0x0C: "W95 FAT32 (LBA)",
    0x0E: "W95 FAT16 (LBA)",
    0x0F: "W95 Extended (LBA)",
    0x11: "Hidden FAT12",
    0x12: "Compaq diagnostics",
    0x14: "Hidden FAT16 <32M",
    0x16: "Hidden FAT16",
    0x17: "Hidden HPFS/NTFS",
    0x1B: "Hidden W95 FAT32",
    0x1C: "Hidden W95 FAT32 (LBA)",
    0x1E: "Hidden W95 FAT16 (LBA)",
    0x27: "Hidden NTFS WinRE",
    0x42: "Windows dynamic (LDM)",
    0x82: "Linux swap",
    0x83: "Linux",
    0x85: "Linux extended",
    0x8E: "Linux LVM",
    0xA5: "FreeBSD",
    0xA8: "Darwin UFS",
    0xAF: "HFS / HFS+",
    0xEE: "GPT protective",
    0xEF: "EFI (FAT-12/16/32)",
    0xFD: "Linux raid autodetect",
}

EXTENDED_MBR_TYPES = frozenset({0x05, 0x0F, 0x85})

# Fixed-size system partitions (restore keeps their size).
EFI_SYSTEM = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
MICROSOFT_RESERVED = "e3c9e316-0b5c-4db8-817d-f92df00215ae"
WINDOWS_RECOVERY = "de94bba4-06d1-4d40-a16a-bfd50179d6ac"
BIOS_BOOT = "21686148-6449-6e6f-744e-656564454649"


def gpt_type_name(guid: str) -> str:
    """Name for a GPT type GUID; an unknown type is shown as its GUID."""
    return GPT_TYPES.get(guid.lower(), guid.lower())


def mbr_type_name(type_byte: int) -> str:
    """Name for an MBR type byte; an unknown type is shown as its hex value."""
    return MBR_TYPES.get(type_byte, f"type 0x{type_byte:02x}")
