"""ext2/3/4 superblock (1024 bytes at byte 1024 of the volume), little-endian."""

from construct import Array, Bytes, Int8ul, Int16ul, Int32ul, Int64ul, Struct

SUPERBLOCK_OFFSET = 1024
SUPERBLOCK_SIZE = 1024
MAGIC = 0xEF53

# feature bits (only those the code reads)
COMPAT_HAS_JOURNAL = 0x0004
COMPAT_SPARSE_SUPER2 = 0x0200
INCOMPAT_FILETYPE = 0x0002
INCOMPAT_RECOVER = 0x0004
INCOMPAT_JOURNAL_DEV = 0x0008
INCOMPAT_META_BG = 0x0010
INCOMPAT_64BIT = 0x0080
INCOMPAT_FLEX_BG = 0x0200
RO_COMPAT_SPARSE_SUPER = 0x0001
RO_COMPAT_LARGE_FILE = 0x0002
RO_COMPAT_BTREE_DIR = 0x0004
RO_COMPAT_GDT_CSUM = 0x0010
RO_COMPAT_METADATA_CSUM = 0x0400

ExtSuperblock = Struct(
    "inodes_count" / Int32ul,
    "blocks_count_lo" / Int32ul,
    "r_blocks_count_lo" / Int32ul,
    "free_blocks_count_lo" / Int32ul,
    "free_inodes_count" / Int32ul,
    "first_data_block" / Int32ul,
    "log_block_size" / Int32ul,  # block size = 1024 << value
    "log_cluster_size" / Int32ul,
    "blocks_per_group" / Int32ul,
    "clusters_per_group" / Int32ul,
    "inodes_per_group" / Int32ul,
    "mtime" / Int32ul,
    "wtime" / Int32ul,
    "mnt_count" / Int16ul,
    "max_mnt_count" / Int16ul,
    "magic" / Int16ul,
    "state" / Int16ul,  # 1 clean, 2 errors
    "errors" / Int16ul,
    "minor_rev_level" / Int16ul,
    "lastcheck" / Int32ul,
    "checkinterval" / Int32ul,
    "creator_os" / Int32ul,
    "rev_level" / Int32ul,
    "def_resuid" / Int16ul,
    "def_resgid" / Int16ul,
    "first_ino" / Int32ul,
    "inode_size" / Int16ul,
    "block_group_nr" / Int16ul,
    "feature_compat" / Int32ul,
    "feature_incompat" / Int32ul,
    "feature_ro_compat" / Int32ul,
    "uuid" / Bytes(16),
    "volume_name" / Bytes(16),
    "last_mounted" / Bytes(64),
    "algorithm_usage_bitmap" / Int32ul,
    "prealloc_blocks" / Int8ul,
    "prealloc_dir_blocks" / Int8ul,
    "reserved_gdt_blocks" / Int16ul,
    "journal_uuid" / Bytes(16),
    "journal_inum" / Int32ul,
    "journal_dev" / Int32ul,
    "last_orphan" / Int32ul,
    "hash_seed" / Bytes(16),
    "def_hash_version" / Int8ul,
    "jnl_backup_type" / Int8ul,
    "desc_size" / Int16ul,  # group descriptor size when INCOMPAT_64BIT
    "default_mount_opts" / Int32ul,
    "first_meta_bg" / Int32ul,
    "mkfs_time" / Int32ul,
    "jnl_blocks" / Array(17, Int32ul),
    "blocks_count_hi" / Int32ul,
    "r_blocks_count_hi" / Int32ul,
    "free_blocks_count_hi" / Int32ul,
    "min_extra_isize" / Int16ul,
    "want_extra_isize" / Int16ul,
    "flags" / Int32ul,
    "raid_stride" / Int16ul,
    "mmp_interval" / Int16ul,
    "mmp_block" / Int64ul,
    "raid_stripe_width" / Int32ul,
    "log_groups_per_flex" / Int8ul,
    "checksum_type" / Int8ul,
    "reserved_pad" / Int16ul,
    "kbytes_written" / Int64ul,
    "snapshot_fields" / Bytes(0x194 - 0x180),
    "error_fields" / Bytes(0x200 - 0x194),
    "mount_opts" / Bytes(64),
    "usr_quota_inum" / Int32ul,
    "grp_quota_inum" / Int32ul,
    "overhead_blocks" / Int32ul,
    "backup_bgs" / Array(2, Int32ul),  # sparse_super2: the two groups with backups
    "rest" / Bytes(0x3FC - 0x254),
    "checksum" / Int32ul,
)
