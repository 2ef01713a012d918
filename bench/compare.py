"""Two runs of the benchmark side by side: ``python -m bench.compare BEFORE AFTER``.

Each argument is the Markdown a run prints (``./run bench`` without ``--record`` prints it; a
section of ``bench/RESULTS.md`` will do). The tables of ingestion and of HTTP work are paired row
by row and printed as one Markdown table, each figure before and after and their ratio, so that
a change that should not move the figures (a refactor) shows whether it did.
"""

import argparse
import re
from pathlib import Path

# A row of a Markdown table: its cells, stripped.
Row = list[str]


def table_rows(text: str, header: str) -> list[Row]:
    """The rows of the first table whose header line starts with ``header``."""
    rows: list[Row] = []
    inside = False
    for line in text.splitlines():
        if line.startswith(header):
            inside = True
            continue
        if inside:
            if not line.startswith("|"):
                break
            if not line.startswith("|---"):
                rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def number(cell: str) -> float | None:
    """The figure a cell starts with (``1,234 (2 errors)`` is 1234), None for none."""
    found = re.match(r"[\d,]+(?:\.\d+)?", cell)
    return float(found.group().replace(",", "")) if found else None


def ratio(before: float | None, after: float | None) -> str:
    if before is None or after is None or before == 0:
        return "—"
    return f"{after / before:.2f}"


def compared(before: str, after: str) -> list[str]:
    """The Markdown lines of the side-by-side tables."""
    lines = [
        "| ingestion | seconds before | after | × | peak RSS MB before | after |",
        "|---|---|---|---|---|---|",
    ]
    later = {row[0]: row for row in table_rows(after, "| ingestion |")}
    for row in table_rows(before, "| ingestion |"):
        if (other := later.get(row[0])) is not None:
            seconds = ratio(number(row[1]), number(other[1]))
            lines.append(
                f"| {row[0]} | {row[1]} | {other[1]} | {seconds} | {row[2]} | {other[2]} |"
            )
    lines += [
        "",
        "| work | server | req/s before | after | × | p99 ms before | after | × |",
        "|---|---|---|---|---|---|---|---|",
    ]
    later_work = {(row[0], row[1]): row for row in table_rows(after, "| work |")}
    for row in table_rows(before, "| work |"):
        if (other := later_work.get((row[0], row[1]))) is None:
            continue
        rate = ratio(number(row[2]), number(other[2]))
        p99 = ratio(number(row[4]), number(other[4]))
        lines.append(
            f"| {row[0]} | {row[1]} | {row[2]} | {other[2]} | {rate} | {row[4]} | {other[4]} "
            f"| {p99} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    arguments = parser.parse_args()
    print("\n".join(compared(arguments.before.read_text(), arguments.after.read_text())))


if __name__ == "__main__":
    main()
