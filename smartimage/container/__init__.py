"""The image file format: writer and random-access reader (layout in formats/image.py, docs/FORMAT.md)."""
