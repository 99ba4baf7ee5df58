"""Restore planning: a pure function from a source layout, a target size and a policy to a
target layout.  No I/O: every rule here has a row in tests/test_plan.py.

Rules: partitions start on 1 MiB boundaries (an unchanged layout keeps the source's offsets);
fixed-size system partitions (EFI System, Microsoft reserved, Windows recovery, BIOS boot,
swap) and partitions whose filesystem cannot be grown keep their size; the extra space goes
where the policy says; logical partitions keep room for their EBR; GPT keeps room for its
backup at the real end of the target.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import RefusedError, UsageError
from .volumes.types import BIOS_BOOT, EFI_SYSTEM, MICROSOFT_RESERVED, WINDOWS_RECOVERY

MiB = 1 << 20
ALIGN = MiB
POLICIES = ("auto", "keep", "proportional", "grow-last")
GROWABLE = frozenset({"ntfs", "ext2", "ext3", "ext4", "fat16", "fat32"})  # FAT: fatresize, best effort
SHRINKABLE = frozenset({"ntfs", "ext2", "ext3", "ext4"})
FIXED_GPT_TYPES = frozenset({EFI_SYSTEM, MICROSOFT_RESERVED, WINDOWS_RECOVERY, BIOS_BOOT,
                             "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"})  # Linux swap
FIXED_MBR_TYPES = frozenset({"0x27", "0x82", "0xef", "0x12"})  # WinRE, swap, EFI, diagnostics
MBR_MAX_SECTORS = 1 << 32


class PlanRefused(RefusedError):
    """The target cannot hold the source under this policy; nothing was written."""


@dataclass(frozen=True)
class SourcePartition:
    """A partition of the imaged disk as the planner sees it (bytes)."""

    number: int
    start: int
    size: int
    type_id: str
    kind: str  # gpt, primary, extended, logical, whole-disk
    fs_type: str | None = None
    fs_size: int | None = None  # bytes the filesystem spans (may be less than the partition)
    used_bytes: int | None = None


@dataclass(frozen=True)
class SourceLayout:
    table: str  # gpt, mbr, none
    sector_size: int
    disk_size: int
    partitions: tuple[SourcePartition, ...]
    gpt_entries_bytes: int = 128 * 128


@dataclass(frozen=True)
class PartitionPlan:
    number: int
    kind: str
    fs_type: str | None
    old_start: int
    old_size: int
    new_start: int
    new_size: int
    fixed: bool  # keeps its size whatever the policy

    @property
    def grows(self) -> bool:
        return self.new_size > self.old_size

    @property
    def moves(self) -> bool:
        return self.new_start != self.old_start

    @property
    def shrinks(self) -> bool:
        return self.kind != "extended" and self.new_size < self.old_size

    @property
    def action(self) -> str:
        if self.kind == "extended":
            return "container (rebuilt)" if self.grows or self.moves or self.new_size < self.old_size else "container"
        verb = "copy" if not self.moves else "move and copy"
        if self.shrinks:
            return f"shrink {self.fs_type}, then {verb}"
        if self.grows and self.fs_type in GROWABLE:
            return f"{verb}, grow {self.fs_type}"
        if self.grows:
            return f"{verb}, partition grows ({self.fs_type or 'no filesystem'} keeps its size)"
        return verb


@dataclass(frozen=True)
class RestorePlan:
    table: str
    sector_size: int
    target_size: int
    policy: str
    partitions: tuple[PartitionPlan, ...]
    warnings: tuple[str, ...] = ()

    @property
    def unchanged(self) -> bool:
        """Every partition keeps its offset and size: the source's table bytes can be written as they are
        (GPT also needs the target to be exactly the source's size, for its backup header)."""
        return all(not p.moves and p.new_size == p.old_size for p in self.partitions)

    def partition(self, number: int) -> PartitionPlan:
        for p in self.partitions:
            if p.number == number:
                return p
        raise KeyError(number)


def _align_up(value: int) -> int:
    return -(-value // ALIGN) * ALIGN


def _align_down(value: int) -> int:
    return value // ALIGN * ALIGN


def is_fixed(part: SourcePartition, table: str) -> bool:
    fixed_types = FIXED_GPT_TYPES if table == "gpt" else FIXED_MBR_TYPES
    return part.type_id.lower() in fixed_types or part.fs_type not in GROWABLE


def usable_end(layout: SourceLayout, disk_size: int) -> int:
    """First byte past the space partitions may use on a disk of ``disk_size`` bytes."""
    if layout.table == "gpt":
        return disk_size - layout.gpt_entries_bytes - layout.sector_size
    return disk_size


def plan_restore(layout: SourceLayout, target_size: int, target_sector_size: int, policy: str = "auto") -> RestorePlan:
    """The target layout for restoring ``layout`` onto a disk of ``target_size`` bytes.

    Raises UsageError for an unknown policy and PlanRefused when the target cannot hold the
    source (too small, MBR beyond 2 TiB, different sector size), saying by how much.
    """
    if policy not in POLICIES:
        raise UsageError(f"unknown layout policy {policy!r} (choose from {', '.join(POLICIES)})")
    if target_sector_size != layout.sector_size:
        raise PlanRefused(f"the image has {layout.sector_size}-byte sectors but the target has "
                          f"{target_sector_size}-byte sectors; restoring across sector sizes is not supported")
    parts = sorted(layout.partitions, key=lambda p: (p.kind == "logical", p.start))
    plans = {p.number: PartitionPlan(p.number, p.kind, p.fs_type, p.start, p.size, p.start, p.size,
                                     is_fixed(p, layout.table)) for p in parts}
    warnings: list[str] = []
    if layout.table == "none":
        return _plan_whole_disk(layout, target_size, policy, parts)

    end = usable_end(layout, target_size)
    if policy == "keep" or target_size == layout.disk_size:  # same size: the same table, byte for byte
        _check_fits(layout, plans.values(), end, target_size)
        return RestorePlan(layout.table, layout.sector_size, target_size, policy,
                           tuple(plans[p.number] for p in parts), tuple(warnings))

    data = [p for p in parts if p.kind not in ("extended",)]
    sizes = {p.number: p.size for p in data}
    laid = _lay_out(layout, parts, sizes, end)
    last_end = max(pl.new_start + pl.new_size for pl in laid.values())
    if end < last_end:
        _shrink_to_fit(layout, parts, data, plans, sizes, end, target_size)
        laid = _lay_out(layout, parts, sizes, end)
        result = tuple(replace(plans[p.number], new_start=laid[p.number].new_start,
                               new_size=laid[p.number].new_size) for p in parts)
        _check_fits(layout, result, end, target_size)
        return RestorePlan(layout.table, layout.sector_size, target_size, policy, result, tuple(warnings))
    extra = _align_down(end - last_end)
    growable = [p for p in data if not plans[p.number].fixed]
    if not growable:
        if extra:
            warnings.append(f"no partition holds a filesystem that can grow: {extra} bytes left unallocated")
    elif policy == "proportional":
        total = sum(p.size for p in growable)
        given = 0
        for p in growable[:-1]:
            share = _align_down(extra * p.size // total)
            sizes[p.number] += share
            given += share
        sizes[growable[-1].number] += extra - given
    else:
        chosen = growable[-1] if policy == "grow-last" else max(growable, key=lambda p: (p.size, -p.start))
        sizes[chosen.number] += extra
    laid = _lay_out(layout, parts, sizes, end)
    last_end = max(pl.new_start + pl.new_size for pl in laid.values())
    if last_end > end:  # alignment of moved partitions ate into the extra space: give it back
        over = _align_up(last_end - end)
        biggest = max((n for n in sizes if not plans[n].fixed and sizes[n] > plans[n].old_size),
                      key=lambda n: sizes[n], default=None)
        if biggest is None:
            raise PlanRefused(f"the partitions do not fit the target ({last_end - end} bytes short)")
        sizes[biggest] -= over
        laid = _lay_out(layout, parts, sizes, end)
    result = tuple(replace(plans[p.number], new_start=laid[p.number].new_start, new_size=laid[p.number].new_size)
                   for p in parts)
    _check_fits(layout, result, end, target_size)
    return RestorePlan(layout.table, layout.sector_size, target_size, policy, result, tuple(warnings))


SHRINK_MARGIN = 0.2  # a shrunk filesystem keeps 20 % above its used bytes, plus 8 MiB
SHRINK_SLACK = 8 * MiB


def shrink_floor(p: SourcePartition) -> int | None:
    """The smallest size the planner will shrink a partition to (used data + margin), or None."""
    if p.used_bytes is None:
        return None
    return _align_up(int(p.used_bytes * (1 + SHRINK_MARGIN)) + SHRINK_SLACK)


def _shrink_to_fit(layout, parts, data, plans, sizes, end: int, target_size: int) -> None:
    """Take the shortfall from the largest shrinkable partitions (NTFS, ext), never below their
    used data plus a margin; refuses, saying by how much, when that is not enough."""
    def shortfall() -> int:
        laid = _lay_out(layout, parts, sizes, end)
        return max(pl.new_start + pl.new_size for pl in laid.values()) - end

    candidates = sorted((p for p in data if not plans[p.number].fixed and p.fs_type in SHRINKABLE
                         and shrink_floor(p) is not None),
                        key=lambda p: -p.size)
    for _ in range(4 * len(candidates)):  # alignment can leave a MiB over: go round again
        short = shortfall()
        if short <= 0:
            return
        rooms = [(p, _align_down(sizes[p.number] - shrink_floor(p))) for p in candidates]
        rooms = [(p, room) for p, room in rooms if room > 0]
        if not rooms:
            break
        p, room = rooms[0]
        sizes[p.number] -= min(room, _align_up(short))
    short = shortfall()
    if short > 0:
        floors = ", ".join(f"partition {p.number} to {shrink_floor(p)} bytes" for p in candidates) or \
            "no partition holds a filesystem that can shrink"
        raise PlanRefused(f"the target is {target_size} bytes, {short} too small even with the data partitions "
                          f"shrunk as far as is safe ({floors})", "use a bigger target")


def _lay_out(layout: SourceLayout, parts: list[SourcePartition], sizes: dict[int, int],
            end: int | None = None) -> dict[int, PartitionPlan]:
    """Place partitions in source order with their new sizes: the first keeps its start; each
    later one starts at the next 1 MiB boundary after the one before, keeping any larger
    source gap; logical partitions keep room for their EBR; the extended partition wraps them."""
    out: dict[int, PartitionPlan] = {}
    ordered = sorted([p for p in parts if p.kind != "extended"], key=lambda p: p.start)
    prev_old_end = prev_new_end = None
    for p in ordered:
        if prev_new_end is None or prev_new_end == prev_old_end:
            new_start = p.start  # nothing before it changed: it stays where it was
        else:
            gap = max(p.start - prev_old_end, layout.sector_size if p.kind == "logical" else 0)
            new_start = _align_up(prev_new_end + gap)
        out[p.number] = PartitionPlan(p.number, p.kind, p.fs_type, p.start, p.size, new_start, sizes[p.number], False)
        prev_old_end, prev_new_end = p.start + p.size, new_start + sizes[p.number]
    for ext in (p for p in parts if p.kind == "extended"):
        logicals = [p for p in ordered if p.kind == "logical"]
        if not logicals:
            out[ext.number] = PartitionPlan(ext.number, "extended", None, ext.start, ext.size, ext.start, ext.size, True)
            continue
        first = logicals[0]
        lead = first.start - ext.start  # the first EBR's distance from its logical partition
        new_start = out[first.number].new_start - lead
        last = logicals[-1]
        tail = ext.start + ext.size - (last.start + last.size)
        last_end = out[last.number].new_start + out[last.number].new_size
        new_end = last_end + max(tail, 0)  # free space the extended partition kept after its last logical
        if end is not None:
            new_end = max(last_end, min(new_end, end))
        out[ext.number] = PartitionPlan(ext.number, "extended", None, ext.start, ext.size, new_start,
                                        new_end - new_start, True)
    return out


def _check_fits(layout: SourceLayout, plans, end: int, target_size: int) -> None:
    for p in plans:
        if p.new_start + p.new_size > end:
            short = p.new_start + p.new_size - end
            raise PlanRefused(
                f"partition {p.number} ends at byte {p.new_start + p.new_size}, beyond the target's usable end "
                f"at byte {end} ({short} bytes short)", "use a bigger target or another --layout")
        if layout.table == "mbr" and (p.new_start + p.new_size) // layout.sector_size > MBR_MAX_SECTORS:
            raise PlanRefused(f"partition {p.number} would end beyond 2 TiB, which an MBR table cannot address",
                              "convert the disk to GPT first")


def _plan_whole_disk(layout: SourceLayout, target_size: int, policy: str, parts) -> RestorePlan:
    (p,) = parts
    need = p.fs_size or p.size
    if target_size < need:
        raise PlanRefused(f"the filesystem spans {need} bytes; the target holds {target_size} ({need - target_size} short)")
    new_size = target_size if policy != "keep" and p.fs_type in GROWABLE else p.size
    new_size = min(new_size, target_size)
    plan = PartitionPlan(p.number, p.kind, p.fs_type, 0, p.size, 0, new_size, p.fs_type not in GROWABLE)
    return RestorePlan("none", layout.sector_size, target_size, policy, (plan,))
