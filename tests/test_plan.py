"""The restore planner, table-driven: source layout + target size + policy → target layout."""

from __future__ import annotations

import pytest

from smartimage.plan import MiB, PlanRefused, SourceLayout, SourcePartition, plan_restore
from smartimage.volumes.types import EFI_SYSTEM, MICROSOFT_RESERVED, WINDOWS_RECOVERY

GiB = 1024 * MiB
DATA = "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"
LINUX = "0fc63daf-8483-4772-8e79-3d69d8477de4"


def windows(disk=64 * GiB):
    return SourceLayout("gpt", 512, disk, (
        SourcePartition(1, 1 * MiB, 100 * MiB, EFI_SYSTEM, "gpt", "fat32"),
        SourcePartition(2, 101 * MiB, 16 * MiB, MICROSOFT_RESERVED, "gpt", None),
        SourcePartition(3, 117 * MiB, disk - 117 * MiB - 600 * MiB, DATA, "gpt", "ntfs"),
        SourcePartition(4, disk - 600 * MiB + 0, 599 * MiB - 32 * 1024, WINDOWS_RECOVERY, "gpt", "ntfs"),
    ))


def linux_mbr(disk=8 * GiB):
    return SourceLayout("mbr", 512, disk, (
        SourcePartition(1, 63 * 512, 500 * MiB - 63 * 512, "0x06", "primary", "fat16"),
        SourcePartition(2, 500 * MiB, 2 * GiB, "0x83", "primary", "ext4"),
        SourcePartition(3, 500 * MiB + 2 * GiB, disk - 500 * MiB - 2 * GiB, "0x05", "extended"),
        SourcePartition(5, 500 * MiB + 2 * GiB + MiB, 3 * GiB, "0x83", "logical", "ext4"),
        SourcePartition(6, 500 * MiB + 5 * GiB + 2 * MiB, 512 * MiB, "0x82", "logical", "swap"),
        SourcePartition(7, 500 * MiB + 5 * GiB + 515 * MiB, 1 * GiB, "0x07", "logical", "ntfs"),
    ))


def sizes(plan):
    return {p.number: (p.new_start, p.new_size) for p in plan.partitions}


def check_invariants(plan, layout):
    data = sorted((p for p in plan.partitions if p.kind != "extended"), key=lambda p: p.new_start)
    for a, b in zip(data, data[1:]):
        assert a.new_start + a.new_size <= b.new_start, f"{a.number} overlaps {b.number}"
        if b.kind == "logical":
            assert b.new_start - (a.new_start + a.new_size) >= layout.sector_size, "room for the EBR"
    end = plan.target_size - (layout.gpt_entries_bytes + layout.sector_size if layout.table == "gpt" else 0)
    assert all(p.new_start + p.new_size <= end for p in plan.partitions)
    for p in plan.partitions:
        if p.moves:
            assert p.new_start % MiB == 0, f"partition {p.number} moved to an unaligned start"
        if p.fixed and p.kind != "extended":
            assert p.new_size == p.old_size, f"fixed partition {p.number} changed size"
    for ext in (p for p in plan.partitions if p.kind == "extended"):
        for lg in (p for p in plan.partitions if p.kind == "logical"):
            assert ext.new_start < lg.new_start and lg.new_start + lg.new_size <= ext.new_start + ext.new_size


@pytest.mark.parametrize("policy", ["auto", "keep", "proportional", "grow-last"])
def test_same_size_target_keeps_everything(policy):
    layout = windows()
    plan = plan_restore(layout, layout.disk_size, 512, policy)
    assert plan.unchanged
    check_invariants(plan, layout)


def test_windows_onto_bigger_disk_grows_c_and_keeps_system_partitions():
    """Restore the Windows disk onto a disk 2.5x its size: EFI, MSR and recovery keep their size,
    C: takes the extra space, recovery moves to the end."""
    layout = windows()
    target = int(layout.disk_size * 2.5)
    plan = plan_restore(layout, target, 512)
    check_invariants(plan, layout)
    s = sizes(plan)
    assert s[1] == (1 * MiB, 100 * MiB) and s[2] == (101 * MiB, 16 * MiB)
    assert plan.partition(4).new_size == plan.partition(4).old_size and plan.partition(4).moves
    c = plan.partition(3)
    assert c.new_start == c.old_start and c.new_size > c.old_size
    assert "grow ntfs" in c.action
    gpt_end = target - 128 * 128 - 512
    assert gpt_end - (plan.partition(4).new_start + plan.partition(4).new_size) < 2 * MiB, "no space wasted"


@pytest.mark.parametrize("policy,grown", [("auto", {5}), ("grow-last", {7}), ("proportional", {1, 2, 5, 7})])
def test_mbr_with_logicals_policies(policy, grown):
    layout = linux_mbr()
    plan = plan_restore(layout, 20 * GiB, 512, policy)
    check_invariants(plan, layout)
    assert {p.number for p in plan.partitions if p.kind != "extended" and p.grows} == grown
    assert plan.partition(1).new_start == 63 * 512, "the unaligned first partition stays put"
    assert plan.partition(6).new_size == 512 * MiB, "swap keeps its size"


def test_keep_on_bigger_target_changes_nothing():
    layout = linux_mbr()
    plan = plan_restore(layout, 20 * GiB, 512, "keep")
    assert plan.unchanged


def test_smaller_target_is_refused_with_figures():
    layout = windows()  # used bytes unknown: nothing can be shrunk safely
    with pytest.raises(PlanRefused, match="too small"):
        plan_restore(layout, layout.disk_size // 2, 512)
    with pytest.raises(PlanRefused, match="short"):
        plan_restore(layout, layout.disk_size - 10 * MiB, 512, "keep")


def with_used(layout, used):
    from dataclasses import replace

    return replace(layout, partitions=tuple(replace(p, used_bytes=used.get(p.number, p.size))
                                            for p in layout.partitions))


def test_smaller_target_shrinks_the_data_partition_when_the_data_fits():
    layout = with_used(windows(), {3: 20 * GiB})
    plan = plan_restore(layout, 40 * GiB, 512)
    check_invariants(plan, layout)
    c = plan.partition(3)
    assert c.shrinks and "shrink ntfs" in c.action
    assert c.new_size >= 20 * GiB * 1.2, "never below the used data plus its margin"
    assert [plan.partition(n).new_size for n in (1, 2, 4)] == [plan.partition(n).old_size for n in (1, 2, 4)]
    assert plan.partition(4).new_start + plan.partition(4).new_size > 40 * GiB - 2 * MiB


def test_smaller_target_that_the_data_does_not_fit_is_refused():
    layout = with_used(windows(), {3: 50 * GiB})
    with pytest.raises(PlanRefused, match="too small even with the data partitions shrunk"):
        plan_restore(layout, 40 * GiB, 512)


def test_mbr_shrinks_the_largest_first():
    layout = with_used(linux_mbr(), {2: 100 * MiB, 5: 200 * MiB, 7: 100 * MiB})
    plan = plan_restore(layout, 6 * GiB, 512)
    check_invariants(plan, layout)
    assert plan.partition(5).shrinks and not plan.partition(7).shrinks


def test_mbr_beyond_2tib_is_refused():
    layout = linux_mbr()
    with pytest.raises(PlanRefused, match="2 TiB"):
        plan_restore(layout, 3 * 1024 * GiB, 512, "grow-last")


def test_sector_size_mismatch_is_refused():
    with pytest.raises(PlanRefused, match="sector"):
        plan_restore(windows(), 128 * GiB, 4096)


def test_no_growable_partition_leaves_space_with_a_warning():
    layout = SourceLayout("gpt", 512, 1 * GiB, (SourcePartition(1, MiB, 500 * MiB, DATA, "gpt", "exfat"),))
    plan = plan_restore(layout, 4 * GiB, 512)
    assert plan.unchanged and "left unallocated" in plan.warnings[0]


def test_whole_disk_filesystem():
    layout = SourceLayout("none", 512, 1 * GiB, (SourcePartition(1, 0, 1 * GiB, "", "whole-disk", "ext4", 1 * GiB),))
    assert sizes(plan_restore(layout, 3 * GiB, 512)) == {1: (0, 3 * GiB)}
    assert sizes(plan_restore(layout, 3 * GiB, 512, "keep")) == {1: (0, 1 * GiB)}
    with pytest.raises(PlanRefused):
        plan_restore(layout, GiB // 2, 512)


def test_unknown_policy_is_a_usage_error():
    from smartimage.errors import UsageError

    with pytest.raises(UsageError):
        plan_restore(windows(), 128 * GiB, 512, "biggest")
