"""`python -m makemore_tui`: the command line (the same as the `makemore-tui` script)."""

import sys

from makemore_tui import __version__

if __name__ == "__main__":
    if sys.argv[1:] == ["--version"]:  # answered before torch loads: works from a bare checkout too
        print(f"makemore-tui {__version__}")
        sys.exit(0)
    from makemore_tui.tui.cli import entry_point

    entry_point()
