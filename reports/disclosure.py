"""Proof that nothing small can be worked out from a whole report, or from two quarters' reports.

``reports.suppression`` hides the small cells and, table by table, the complementary cells that
would give them away through a total. That misses what links tables: every client is counted in
every table, so "sex F" minus "cisgender female" is the transgender girls, "Probation custody" plus
"Social Services custody" minus "either" is the youth in both, and "not re-arrested under
647(b)/653.22" minus "not re-arrested as an adult" is the youth re-arrested for something else.
This module models the report the way a reader can attack it, and suppresses until no attack works.

**The model.** A client's *atom* is her year of referral and her row in every people table (a set
of rows for the tables where a client can be in several). Every published people cell is a sum of
atom counts; a bookings cell is a count of its own, at least the number of clients the linked
people table says the agency arrested (``Table.linked``). The reader is assumed to know which atoms
exist (every combination of categories that occurs, so every logical link between tables), though
not how many clients each holds: the unknowns are the atom counts ``x >= 0`` (relaxed to real
numbers), and every published cell is an equation ``a . x = count``. That reader knows more than
any real one, so what holds against it holds against them.

**What must not be determined** (true count 1 to 10 = *small*):

- every hidden cell: its least and greatest value over all ``x`` consistent with what is published
  must not be equal (else it was as good as published), and for a small one the range must include
  0 or span at least ``BAND`` values (wider than the small-cell band);
- every intersection of two categories (two rows of different tables, or of one table whose clients
  can be in several rows), per year of referral and over all years, that is small: the same range
  rule. This is the "youth in both" and "re-arrested for something else" of the three leaks. The
  rows of a two-way table (``Table.pivot``: "risk factor | involvement") are such intersections
  themselves; they are published cells like any other, but not paired again (that would be three).

**Two quarters.** With the previous quarter's report, each client is a pair of atoms (hers last
quarter, hers now). The reader is assumed to know which pairs occur among clients in both reports,
and how many clients each year of referral gained and lost, but not which profiles entered or
left: an entrant could have any atom of this quarter, a leaver any atom of the last. The previous
report's published cells are extra equations it cannot take back; its hidden cells and small
intersections, this quarter's, and the small intersections of a category last quarter with one
now must all stay undetermined.

**How it is proved.** Each range is two linear programmes (scipy's HiGHS). Most are settled without
one: every solution found is kept, and a query whose values over the kept solutions already span
the range it needs is proved. When a query fails, the dual values of its programme name the
published cells its bound rests on; the smallest of those (never a cohort size if another will do)
is hidden too, and the query is tried again. Hiding only removes equations, so a proved query stays
proved. At the end a hidden cell that is still determined and not small is published (it adds
nothing a reader could not compute). ``protect`` returns the hidden cells or raises
``DisclosureError``; the report refuses to write then.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from reports.suppression import SMALL_MAX, SMALL_MIN
from reports.tables import TOTAL, Table

#: a small quantity's range must include 0 or span at least this many values
BAND = SMALL_MAX - SMALL_MIN + 1
_EPS = 1e-6
CURRENT, PREVIOUS = "current", "previous"


class DisclosureError(RuntimeError):
    """Suppression could not make every hidden cell and small intersection undetermined."""


@dataclass
class Publication:
    """One report as the proof sees it: its tables, and the cohort's clients in table order."""

    tables: list[Table]
    client_ids: list[str]
    years: list[int]  # each cohort client's year of referral, same order
    #: a report already out (the previous quarter's): the cell ids it hid; None = to be decided
    hidden: set[Hashable] | None = None

    @classmethod
    def of(cls, tables: list[Table], cohort: pd.DataFrame, hidden: set | None = None) -> Publication:
        return cls(tables, list(cohort["client_id"]), [int(y) for y in cohort["year"]], hidden)


@dataclass
class Proof:
    """What ``protect`` found: the cells to hide and how it was shown."""

    hidden: set[Hashable]
    queries: int  # ranges checked (hidden cells + small intersections)
    programmes: int  # linear programmes solved
    added: int  # cells hidden beyond the table-by-table suppression
    published_back: int  # determined, not small: published after all
    seconds: float
    #: two quarters: small quantities the previous report had already let out on its own
    already_out: list[str] = field(default_factory=list)


class _Side:
    """One report's atoms: distinct (year, rows) combinations of its cohort, and their counts."""

    def __init__(self, pub: Publication) -> None:
        self.pub = pub
        people = [t for t in pub.tables if t.shape != "events"]
        self.categories = [(t.key, r) for t in people for r in t.rows]
        self.cat_index = {c: i for i, c in enumerate(self.categories)}
        n = len(pub.client_ids)
        bits = np.zeros((n, len(self.categories)), dtype=bool)
        for t in people:
            for r in t.rows:
                if r not in t.members:
                    raise ValueError(f"table {t.key!r} row {r!r}: no members (build it with partition_table)")
                bits[:, self.cat_index[(t.key, r)]] = t.members[r]
        years = np.asarray(pub.years, dtype=np.int64).reshape(-1, 1)
        keyed = np.hstack([years, bits.astype(np.int64)])
        atoms, self.atom_of_client, counts = np.unique(keyed, axis=0, return_inverse=True, return_counts=True)
        self.atom_of_client = self.atom_of_client.reshape(-1)
        self.atom_year = atoms[:, 0]
        self.atom_bits = atoms[:, 1:].astype(bool)
        self.atom_count = counts
        self.years = sorted(set(pub.years))

    def people_vector(self, key: str, row: str, year: object) -> np.ndarray:
        """Which atoms a people cell counts."""
        if row == TOTAL:
            m = np.ones(len(self.atom_year), dtype=bool)
        else:
            m = self.atom_bits[:, self.cat_index[(key, row)]].copy()
        if year != TOTAL:
            m &= self.atom_year == year
        return m


class _Space:
    """The unknowns: people variables (atoms, or pairs of atoms for two quarters) and bookings."""

    def __init__(self, sides: dict[str, _Side]) -> None:
        self.sides = sides
        cur = sides[CURRENT]
        prev = sides.get(PREVIOUS)
        if prev is None:
            self.part = {CURRENT: np.arange(len(cur.atom_count))}
            self.x_people = cur.atom_count.astype(float)
            self.flows: list[tuple[np.ndarray, float]] = []
        else:
            self._pairs(cur, prev)
        n_people = len(self.x_people)
        self.events: dict[tuple, int] = {}  # (side, table, row, year) -> variable
        x_events = []
        for name, side in sides.items():
            for t in side.pub.tables:
                if t.shape == "events":
                    for r in t.rows:
                        for y in t.years:
                            self.events[(name, t.key, r, y)] = n_people + len(x_events)
                            x_events.append(float(t.counts[(r, y)]))
        self.n_people = n_people
        self.x_true = np.concatenate([self.x_people, np.array(x_events)])
        self.n = len(self.x_true)

    def _pairs(self, cur: _Side, prev: _Side) -> None:
        """Stayers as the pairs that occur; entrants any current atom; leavers any previous atom."""
        cur_of = dict(zip(cur.pub.client_ids, cur.atom_of_client, strict=True))
        prev_of = dict(zip(prev.pub.client_ids, prev.atom_of_client, strict=True))
        stay = pd.Series([(prev_of[c], cur_of[c]) for c in cur_of if c in prev_of], dtype=object)
        stay_counts = stay.value_counts() if len(stay) else pd.Series(dtype=int)
        entered = np.bincount(
            np.array([cur_of[c] for c in cur_of if c not in prev_of], dtype=np.int64),
            minlength=len(cur.atom_count),
        )
        left = np.bincount(
            np.array([prev_of[c] for c in prev_of if c not in cur_of], dtype=np.int64),
            minlength=len(prev.atom_count),
        )
        p_part = (
            [p for p, _ in stay_counts.index] + [-1] * len(cur.atom_count) + list(range(len(prev.atom_count)))
        )
        c_part = (
            [c for _, c in stay_counts.index] + list(range(len(cur.atom_count))) + [-1] * len(prev.atom_count)
        )
        self.part = {PREVIOUS: np.array(p_part, dtype=np.int64), CURRENT: np.array(c_part, dtype=np.int64)}
        self.x_people = np.concatenate([stay_counts.to_numpy(dtype=float), entered, left]).astype(float)
        # the reader is assumed to know how many clients each year of referral gained and lost
        self.flows = []
        n = len(self.x_people)
        p_part, c_part = self.part[PREVIOUS], self.part[CURRENT]
        for y in sorted(set(cur.years) | set(prev.years)):
            ent = np.zeros(n, dtype=bool)
            ent[p_part < 0] = cur.atom_year[c_part[p_part < 0]] == y
            lef = np.zeros(n, dtype=bool)
            lef[c_part < 0] = prev.atom_year[p_part[c_part < 0]] == y
            self.flows += [(np.flatnonzero(ent), float(self.x_people[ent].sum()))]
            self.flows += [(np.flatnonzero(lef), float(self.x_people[lef].sum()))]

    def lift(self, side: str, atoms: np.ndarray) -> np.ndarray:
        """Variables (indices) whose ``side`` atom is among ``atoms`` (a bool array over that side)."""
        part = self.part[side]
        return np.flatnonzero((part >= 0) & atoms[np.maximum(part, 0)])


@dataclass
class _Quantity:
    vars: np.ndarray  # sorted variable indices
    count: int
    cells: list[tuple[str, Hashable]]  # (side, cell id)
    fixed: bool  # of a report already out: cannot be hidden or shown now
    cohort_size: bool


class _Model:
    def __init__(self, current: Publication, previous: Publication | None) -> None:
        self.sides = {CURRENT: _Side(current)}
        if previous is not None:
            self.sides[PREVIOUS] = _Side(previous)
        self.space = _Space(self.sides)
        self.quantities: list[_Quantity] = []
        self.by_vars: dict[bytes, int] = {}
        self.quantity_of: dict[tuple[str, Hashable], int] = {}
        self.links: list[tuple[int, np.ndarray, tuple[str, Hashable]]] = []  # bookings >= clients
        for name, side in self.sides.items():
            for t in side.pub.tables:
                self._table(name, side, t)

    def _add(self, side: str, cell: Hashable, vars_: np.ndarray, count: int, table: Table) -> None:
        key = np.asarray(vars_, dtype=np.int64).tobytes()
        q = self.by_vars.get(key)
        fixed = side == PREVIOUS
        if q is None:
            q = len(self.quantities)
            self.by_vars[key] = q
            self.quantities.append(_Quantity(np.asarray(vars_, dtype=np.int64), count, [], fixed, False))
        quantity = self.quantities[q]
        if quantity.count != count:  # two cells of one quantity must agree (the data is consistent)
            raise ValueError(f"cell {cell!r} counts {count}, the same quantity elsewhere {quantity.count}")
        quantity.cells.append((side, cell))
        quantity.fixed |= fixed
        quantity.cohort_size |= isinstance(cell, tuple) and cell[:1] == ("N",)
        self.quantity_of[(side, cell)] = q

    def _table(self, name: str, side: _Side, t: Table) -> None:
        sp = self.space
        for (row, year), count in t.counts.items():
            cell = t.cell_id(row, year)
            if t.shape == "events":
                rows = t.rows if row == TOTAL else [row]
                years = t.years if year == TOTAL else [year]
                vars_ = np.array(sorted(sp.events[(name, t.key, r, y)] for r in rows for y in years))
            else:
                vars_ = sp.lift(name, side.people_vector(t.key, row, year))
            self._add(name, cell, vars_, count, t)
        if t.shape == "events" and t.linked:
            linked = next((u for u in side.pub.tables if u.key == t.linked), None)
            for r in t.rows:
                for y in t.years:
                    if linked is not None and r in linked.rows:
                        people = sp.lift(name, side.people_vector(linked.key, r, y))
                        self.links.append(
                            (sp.events[(name, t.key, r, y)], people, (name, linked.cell_id(r, y)))
                        )


class _Solver:
    """Linear programmes over the model with a given set of hidden quantities, and a pool of solutions."""

    def __init__(self, model: _Model) -> None:
        self.model = model
        # solutions found, one per column (grown by doubling: hundreds are kept)
        self._pool = np.zeros((model.space.n, 64))
        self._pool[:, 0] = model.space.x_true
        self._kept = 1
        self.programmes = 0
        self._system: tuple | None = None

    def invalidate(self) -> None:
        self._system = None

    def system(self, hidden: set[int], cache: bool = True) -> tuple:
        if cache and self._system is not None:
            return self._system
        m, n = self.model, self.model.space.n
        rows, rhs, owners = [], [], []
        for q, quantity in enumerate(m.quantities):
            if q in hidden or len(quantity.vars) == 0:
                continue
            rows.append(quantity.vars)
            rhs.append(quantity.count)
            owners.append(q)
        for vars_, total in m.space.flows:
            rows.append(vars_)
            rhs.append(total)
            owners.append(None)
        a_eq = _rows(rows, n)
        ub_rows, ub_signs = [], []
        upper = np.full(n, np.inf)
        for event, people, cell in m.links:
            q = m.quantity_of.get(cell)
            if q is not None and q not in hidden and m.quantities[q].count == 0:
                upper[event] = 0.0  # no client arrested by the agency that year: no booking either
            ub_rows.append(np.concatenate([[event], people]))
            ub_signs.append(np.concatenate([[-1.0], np.ones(len(people))]))
        a_ub = _rows(ub_rows, n, ub_signs) if ub_rows else None
        b_ub = np.zeros(len(ub_rows)) if ub_rows else None
        bounds = np.column_stack([np.zeros(n), upper])
        built = (a_eq, np.array(rhs, dtype=float), a_ub, b_ub, bounds, owners)
        if cache:
            self._system = built
        return built

    def keep(self, x: np.ndarray) -> None:
        if self._kept == self._pool.shape[1]:
            self._pool = np.hstack([self._pool, np.zeros_like(self._pool)])
        self._pool[:, self._kept] = x
        self._kept += 1

    def seen_range(self, vars_: np.ndarray) -> tuple[float, float]:
        """The least and greatest value of a sum of variables over the solutions kept."""
        values = self._pool[vars_, : self._kept].sum(axis=0)
        return float(values.min()), float(values.max())

    def solve(
        self, vars_: np.ndarray, hidden: set[int], sense: int, cache: bool = True
    ) -> tuple[float, list[int]]:
        """The least (sense 1) or greatest (sense -1) value; and the quantities its bound rests on.

        ``cache=False``: another set of hidden quantities than the one being built (its solution is
        not kept: it need not satisfy the equations in force).
        """
        a_eq, b_eq, a_ub, b_ub, bounds, owners = self.system(hidden, cache)
        c = np.zeros(self.model.space.n)
        c[vars_] = float(sense)
        res = linprog(c, A_eq=a_eq, b_eq=b_eq, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        self.programmes += 1
        if res.status == 3:  # unbounded: no greatest value
            return (np.inf if sense < 0 else -np.inf), []
        if res.status != 0:
            raise DisclosureError(f"the disclosure model is infeasible ({res.message})")
        if cache:
            self.keep(res.x)
        duals = res.eqlin.marginals if a_eq.shape[0] else np.zeros(0)
        binding = [owners[i] for i in np.flatnonzero(np.abs(duals) > 1e-7) if owners[i] is not None]
        return sense * float(res.fun), binding


def _rows(rows: list[np.ndarray], n: int, values: list[np.ndarray] | None = None) -> sparse.csr_matrix:
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    data = np.concatenate(values) if values else np.ones(len(indices))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), n))


@dataclass
class _Query:
    name: str
    vars: np.ndarray
    count: int
    quantity: int | None = None  # a hidden quantity, or an intersection (None)

    @property
    def small(self) -> bool:
        return SMALL_MIN <= self.count <= SMALL_MAX

    def holds(self, lo: float, hi: float) -> bool:
        if self.small:
            return lo <= _EPS or hi - lo >= BAND - _EPS
        return hi - lo >= 1 - _EPS


def _intersections(model: _Model) -> list[_Query]:
    """Every small intersection of two categories (same column), as queries; duplicates dropped."""
    sp, out, seen = model.space, [], set(model.by_vars)
    pairs = [(CURRENT, CURRENT)]
    if PREVIOUS in model.sides:
        pairs += [(PREVIOUS, PREVIOUS), (PREVIOUS, CURRENT)]
    x = sp.x_people
    for a, b in pairs:
        sa, sb = model.sides[a], model.sides[b]
        columns = sorted(set(sa.years) & set(sb.years)) + [TOTAL]
        multi = {t.key for t in sa.pub.tables if t.shape == "multi"} | {
            t.key for t in sb.pub.tables if t.shape == "multi"
        }
        # a two-way table's rows are already intersections of two other tables' rows (risk factor
        # and involvement): those pairs are queried as such; pairing them again would ask for
        # intersections of three categories, which no other table is held to
        derived = {t.key for t in (*sa.pub.tables, *sb.pub.tables) if t.pivot}
        pa, pb = sp.part[a], sp.part[b]
        both = (pa >= 0) & (pb >= 0)
        ma = np.zeros((sp.n_people, len(sa.categories)), dtype=bool)
        mb = np.zeros((sp.n_people, len(sb.categories)), dtype=bool)
        ma[both] = sa.atom_bits[pa[both]]
        mb[both] = sb.atom_bits[pb[both]]
        year_a = np.where(pa >= 0, sa.atom_year[np.maximum(pa, 0)], -1)
        for col in columns:
            rows = both if col == TOTAL else both & (year_a == col)
            fa = ma[rows].astype(float)
            fb = mb[rows].astype(float)
            counts = (fa * x[rows, None]).T @ fb
            idx = np.flatnonzero(rows)
            for i, j in zip(
                *np.nonzero((counts >= SMALL_MIN - _EPS) & (counts <= SMALL_MAX + _EPS)), strict=True
            ):
                ci, cj = sa.categories[i], sb.categories[j]
                if a == b and (i >= j or (ci[0] == cj[0] and ci[0] not in multi)):
                    continue  # each pair once; rows of one partition table never meet
                if ci[0] in derived or cj[0] in derived:
                    continue
                vars_ = idx[ma[idx, i] & mb[idx, j]]
                key = vars_.tobytes()
                if key in seen:
                    continue  # the same clients as a cell (checked as a cell) or as another pair
                seen.add(key)
                name = f"{a}:{ci[0]}={ci[1]} & {b}:{cj[0]}={cj[1]} ({col})"
                out.append(_Query(name, vars_, int(round(counts[i, j]))))
    return out


def protect(
    current: Publication,
    initial_hidden: Iterable[Hashable],
    previous: Publication | None = None,
) -> Proof:
    """Hide more than ``initial_hidden`` (cell ids of ``current``) until nothing small can be
    determined from ``current`` (and ``previous``, already out, read with it); the cells to hide.

    Raises ``DisclosureError`` when no further suppression in ``current`` can protect a quantity
    (e.g. the previous report already gave it away) or the model is inconsistent.
    """
    started = time.perf_counter()
    model = _Model(current, previous)
    hidden: set[int] = set()
    if previous is not None:  # what the previous report hid stays hidden, what it showed is known
        for cell in previous.hidden or set():
            q = model.quantity_of.get((PREVIOUS, cell))
            if q is not None and all(s == PREVIOUS for s, _ in model.quantities[q].cells):
                hidden.add(q)
    for cell in initial_hidden:
        q = model.quantity_of.get((CURRENT, cell))
        if q is not None and (q in hidden or not model.quantities[q].fixed):
            hidden.add(q)
    start_hidden = set(hidden)
    solver = _Solver(model)

    def cell_query(q: int) -> _Query:
        quantity = model.quantities[q]
        side, cell = quantity.cells[0]
        return _Query(f"{side}:{cell}", quantity.vars, quantity.count, q)

    queries = [cell_query(q) for q in sorted(hidden)] + _intersections(model)
    n_queries = len(queries)
    _seed(solver, queries, hidden)
    failures: list[str] = []
    already_out: list[str] = []  # determined by the previous report alone: not this report's to hide
    determined: list[int] = []
    pending = list(queries)
    while pending:
        query = pending.pop()
        if len(query.vars) == 0:
            if query.quantity is not None and not query.small:
                determined.append(query.quantity)
            elif query.small:
                failures.append(query.name)
            continue
        if query.holds(*solver.seen_range(query.vars)):
            continue
        lo, binding = solver.solve(query.vars, hidden, 1)
        if query.holds(lo, solver.seen_range(query.vars)[1]):
            continue
        hi, binding_hi = solver.solve(query.vars, hidden, -1)
        if query.holds(lo, hi):
            continue
        if not query.small and query.quantity is not None:
            determined.append(query.quantity)  # decided at the end: published, or shown undetermined
            continue
        pick = _cheapest(model, [q for q in binding + binding_hi if q not in hidden])
        if pick is None and previous is not None:
            # only the previous report's cells bound it here: was it out before this report?
            before = hidden | {q for q, quantity in enumerate(model.quantities) if not quantity.fixed}
            lo_before, _ = solver.solve(query.vars, before, 1, cache=False)
            hi_before, _ = solver.solve(query.vars, before, -1, cache=False)
            if not query.holds(lo_before, hi_before):
                already_out.append(query.name)
                continue
            # this report's cells do matter (the duals named another optimal basis): hide one it touches
            pick = _cheapest(model, [q for q in _touching(model, query.vars) if q not in hidden])
        if pick is None:
            failures.append(f"{query.name}: {lo:g}..{hi:g}")
            continue
        hidden.add(pick)
        solver.invalidate()
        pending.append(query)
        pending.append(cell_query(pick))
        n_queries += 1
    published_back = 0
    for q in sorted(set(determined)):
        if q not in hidden or model.quantities[q].fixed:
            continue
        lo, _ = solver.solve(model.quantities[q].vars, hidden, 1)
        hi, _ = solver.solve(model.quantities[q].vars, hidden, -1)
        if hi - lo < 1 - _EPS:  # as good as published already: publish it
            hidden.discard(q)
            published_back += 1
    if failures:
        raise DisclosureError(
            f"{len(failures)} small quantities stay determinable whatever is hidden: "
            + "; ".join(failures[:5])
        )
    cells = {cell for q in hidden for side, cell in model.quantities[q].cells if side == CURRENT}
    added = len({q for q in hidden if not model.quantities[q].fixed} - start_hidden)
    proof = Proof(cells, n_queries, solver.programmes, added, published_back, time.perf_counter() - started)
    proof.already_out = already_out
    return proof


def _seed(solver: _Solver, queries: list[_Query], hidden: set[int]) -> None:
    """Three solutions to start from: the sum of the small queries at its least (many of them 0 at
    once), the sum of the others at its least and greatest. (More rounds of this, on random groups
    of what is left open, settled fewer queries than they cost programmes.)"""
    a_eq, b_eq, a_ub, b_ub, bounds, _ = solver.system(hidden)
    small, other = np.zeros(solver.model.space.n), np.zeros(solver.model.space.n)
    for q in queries:
        (small if q.small else other)[q.vars] += 1.0
    for objective in ([small] if small.any() else []) + ([other, -other] if other.any() else []):
        res = linprog(objective, A_eq=a_eq, b_eq=b_eq, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        solver.programmes += 1
        if res.status == 0:
            solver.keep(res.x)


def _touching(model: _Model, vars_: np.ndarray) -> list[int]:
    """This report's published quantities that count any of ``vars_``."""
    mine = set(vars_.tolist())
    return [
        q
        for q, quantity in enumerate(model.quantities)
        if not quantity.fixed and mine.intersection(quantity.vars.tolist())
    ]


def _cheapest(model: _Model, candidates: list[int]) -> int | None:
    """The published quantity to hide: one of this report, smallest count, a cohort size last."""
    free = [q for q in set(candidates) if not model.quantities[q].fixed]
    if not free:
        return None
    return min(free, key=lambda q: (model.quantities[q].cohort_size, model.quantities[q].count, str(q)))
