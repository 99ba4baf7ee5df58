"""smartimage: a partition-aware smart disk imager."""

__version__ = "0.1.0"
