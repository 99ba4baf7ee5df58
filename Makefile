# Two commands do all the set-up on a fresh Debian machine:
#   make demo   installs everything and runs the main job on a sample disk built on the spot
#   make test   installs the same and runs the whole test suite
# Both are idempotent; the second run installs nothing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

# Debian packages the tool and its tests use (tool: libparted for pyparted, the
# resize tools; tests: mkfs.*, sfdisk/sgdisk, oracles such as blkid, partclone, sleuthkit).
APT_PACKAGES := build-essential pkg-config libparted-dev python3-dev python3-venv \
	util-linux fdisk gdisk e2fsprogs ntfs-3g dosfstools mtools exfatprogs exfat-fuse fuse3 \
	sleuthkit partclone fatresize zstd kmod xfsprogs time

.PHONY: all deps apt venv demo test fuzz bench clean distclean fixtures

all: test

deps: apt venv

apt:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing apt packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml | apt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

fixtures: deps
	$(PY) -m fixtures.build

demo: deps
	$(PY) -m fixtures.demo

test: deps
	$(PY) -m pytest -q

# long fuzz run: >= 100,000 mutated inputs per parser (the suite runs a short one)
fuzz: deps
	$(PY) benchmarks/fuzz.py --inputs 100000

# speed goals, side by side with partclone|zstd (needs a few GiB in /var/tmp and ~20 minutes)
bench: deps
	$(PY) benchmarks/allocation_maps.py
	$(PY) benchmarks/backup_speed.py --keep
	$(PY) benchmarks/restore_speed.py

clean:
	rm -rf demo .pytest_cache .hypothesis

distclean: clean
	rm -rf $(VENV) fixtures/.cache *.egg-info
