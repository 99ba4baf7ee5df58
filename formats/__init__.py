"""Pure on-disk byte layouts as Construct schemas: no I/O, no behaviour."""
