"""`python -m server.cli`: the `renkei` command without the installed script."""

from __future__ import annotations

from server.cli import main

# The guard matters: the PIN-hashing pool spawns processes that import this module.
if __name__ == "__main__":
    main()
