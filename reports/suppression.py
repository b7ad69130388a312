"""Small-cell suppression for a whole report at once: primary (1-10) and complementary.

The report is one linear system: every published number is a *cell* (an id and a count), and every
table adds *equations* "these cells sum to that cell" (a row adds up to its total, a column to the
year's number of referrals). The same quantity in two tables (the year totals) is one cell, so a
number hidden in one table cannot be read off another.

- Primary: every cell with 1 <= count <= 10 (privacy rule 3).
- Complementary: no equation may have exactly one hidden cell (it would be its total minus the
  rest). Until none does, each such equation hides one more of its cells: the smallest non-zero
  detail cell, else the smallest detail cell, else its total. Hiding only grows, so it stops.

``recoverable`` (used by the tests) then proves it: for each hidden cell it solves two linear
programmes (the least and the greatest value consistent with everything published, cells >= 0)
and reports the cells whose value is pinned down.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

SMALL_MIN, SMALL_MAX = 1, 10

Cell = Hashable


@dataclass
class System:
    """Cells (id -> count) and equations (detail cells, total cell)."""

    counts: dict[Cell, int] = field(default_factory=dict)
    equations: list[tuple[tuple[Cell, ...], Cell]] = field(default_factory=list)
    #: cell -> cell whose value bounds it from above (a count of clients cannot exceed the cohort)
    upper: dict[Cell, Cell] = field(default_factory=dict)

    def cell(self, key: Cell, count: int) -> Cell:
        if key in self.counts and self.counts[key] != count:
            raise ValueError(f"cell {key!r} given two different counts")
        self.counts[key] = int(count)
        return key

    def equation(self, details: Sequence[Cell], total: Cell) -> None:
        if sum(self.counts[d] for d in details) != self.counts[total]:
            raise ValueError(f"cells of {total!r} do not add up to it")
        self.equations.append((tuple(details), total))


def suppress(system: System) -> set[Cell]:
    """The cells to hide (primary and complementary)."""
    hidden = {c for c, n in system.counts.items() if SMALL_MIN <= n <= SMALL_MAX}
    changed = True
    while changed:
        changed = False
        for details, total in system.equations:
            members = (*details, total)
            if sum(m in hidden for m in members) != 1:
                continue
            open_details = [d for d in details if d not in hidden]
            nonzero = [d for d in open_details if system.counts[d] > 0]
            pool = nonzero or open_details or [total]
            pick = min(pool, key=lambda c: (system.counts[c], str(c)))
            hidden.add(pick)
            changed = True
    return hidden


def recoverable(system: System, hidden: Iterable[Cell]) -> dict[Cell, tuple[float, float]]:
    """Hidden cells whose value the published cells and equations determine: cell -> (min, max)."""
    import numpy as np
    from scipy.optimize import linprog

    hidden = sorted(set(hidden), key=str)
    if not hidden:
        return {}
    index = {c: i for i, c in enumerate(hidden)}
    rows, rhs = [], []
    for details, total in system.equations:
        members = [(d, 1.0) for d in details] + [(total, -1.0)]
        row = np.zeros(len(hidden))
        const = 0.0
        for cell, sign in members:
            if cell in index:
                row[index[cell]] += sign
            else:
                const += sign * system.counts[cell]
        if row.any():
            rows.append(row)
            rhs.append(-const)
    bounds = []
    for cell in hidden:
        cap = system.upper.get(cell)
        bounds.append((0, system.counts[cap] if cap is not None and cap not in index else None))
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    found: dict[Cell, tuple[float, float]] = {}
    for cell, i in index.items():
        c = np.zeros(len(hidden))
        c[i] = 1.0
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        lo = low.fun if low.status == 0 else float("-inf")
        hi = -high.fun if high.status == 0 else float("inf")
        if hi - lo < 1 - 1e-9:  # fewer than two whole values possible: the cell is disclosed
            found[cell] = (lo, hi)
    return found
