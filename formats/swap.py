"""Linux swap header (version 1): its fields start at byte 1024 of the first page."""

from construct import Bytes, Int32ul, Struct

MAGIC = b"SWAPSPACE2"

SwapHeader = Struct(
    "version" / Int32ul,
    "last_page" / Int32ul,
    "bad_page_count" / Int32ul,
    "uuid" / Bytes(16),
    "label" / Bytes(16),
)
SWAP_HEADER_OFFSET = 1024
