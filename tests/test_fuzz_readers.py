"""Fuzzing (fast, in the suite): mutated real image files and mutated real filesystem metadata
give a result or the project's own error — never a crash, a hang or an unbounded allocation.
The long run (>= 100,000 inputs per parser) is `make fuzz` (benchmarks/fuzz.py)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.fuzz import FS_SAMPLES, image_sample, mutate_filesystem, mutate_image

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
mutation = st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=8)), min_size=1, max_size=6)


@SETTINGS
@given(mutations=mutation, region=st.sampled_from(["header", "trailer", "index", "metadata", "chunks", "any"]),
       cut=st.one_of(st.none(), st.integers(min_value=0)))
def test_mutated_images(mutations, region, cut):
    mutate_image(image_sample(), mutations, region, cut)


@SETTINGS
@given(sample=st.sampled_from(sorted(FS_SAMPLES)), mutations=mutation)
def test_mutated_filesystem_metadata(sample, mutations):
    mutate_filesystem(sample, mutations)
