"""Disclosure audit: which hidden cells could a viewer work out from everything the viewer sees?

The attacker knows the definitions: how the cells of the tables add up
(municipalities to the area, women and men to the total, months to the
quarter and quarters to the year, care centres to the municipality's
frequent attenders), or, for reference-day indicators, that a quarter's
value is its last month's. A relation is used as an equation where it holds
in *every* complete group of its family (indicator × kind of relation) in
the true data, otherwise as the inequalities that always hold there
(total ≤ sum of parts, total ≥ each part). With those, the shown cells,
and non-negativity, each hidden cell's lowest and highest possible value is
found by linear programming (scipy's HiGHS); a cell is *recovered* when no
other whole number fits.

Keys are tuples ``(quantity, indicator or care centre, municipality, sex,
period)``: ``quantity`` is ``"ind"`` (an indicator's numerator), ``"den"``
(its denominator) or ``"cc"`` (frequent attenders of one care centre).
"""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from scipy.optimize import linprog


def quarter_of(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def families(cells):
    """(family, total key, part keys) for every additive or reference-day relation among the cells."""
    out = []
    by = defaultdict(list)
    for k in cells:
        q, a, m, s, p = k
        if m != "ALL":
            by[(q, "muni", a, s, p)].append(k)
        if s != "T":
            by[(q, "sex", a, m, p)].append(k)
        if q == "cc":
            by[(q, "centre", m, s, p)].append(k)
        elif "-Q" in p:
            by[(q, "quarter", a, m, s, p[:4])].append(k)
        elif len(p) == 7:
            by[(q, "month", a, m, s, quarter_of(p))].append(k)
    for g, parts in by.items():
        q, kind = g[0], g[1]
        if kind == "muni":
            total = (q, g[2], "ALL", g[3], g[4])
        elif kind == "sex":
            total = (q, g[2], g[3], "T", g[4])
        elif kind == "centre":
            total = ("ind", "frequent_attenders", g[2], g[3], g[4])
        else:
            total = (q, g[2], g[3], g[4], g[5])
        family = (q, kind, "cc" if q == "cc" else g[2])
        out.append((family, total, sorted(parts)))
    return out


def relations(cells, truth):
    """Relations an attacker who knows the definitions can use: per family (kind of relation × indicator),
    'total = sum of parts' or 'total = last part' if it holds in every complete group of the family,
    otherwise the inequalities that hold in every group ('total <= sum', 'total >= each part')."""
    def val(k):
        v = truth.get(k)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v
    groups = defaultdict(list)
    for fam, total, parts in families(cells):
        if total not in cells or val(total) is None or any(val(p) is None for p in parts):
            continue
        complete = fam[1] not in ("month", "quarter") or len(parts) == (3 if fam[1] == "month" else 4)
        groups[fam].append((total, parts, complete))
    rels = []
    for fam, gs in groups.items():
        full = [g for g in gs if g[2]]
        eq_sum = bool(full) and all(abs(val(t) - sum(val(p) for p in ps)) < 1e-9 for t, ps, _ in full)
        eq_last = (
            fam[1] in ("month", "quarter")
            and bool(full)
            and all(abs(val(t) - val(ps[-1])) < 1e-9 for t, ps, _ in full)
        )
        le_sum = all(val(t) <= sum(val(p) for p in ps) + 1e-9 for t, ps, c in gs if c)
        ge_max = all(all(val(t) >= val(p) - 1e-9 for p in ps) for t, ps, _ in gs)
        for total, parts, c in gs:
            if eq_sum and c:
                rels.append(({total: 1.0, **{p: -1.0 for p in parts}}, "=="))
            elif eq_last and c:
                rels.append(({total: 1.0, parts[-1]: -1.0}, "=="))
            else:
                if le_sum and c:
                    rels.append(({total: 1.0, **{p: -1.0 for p in parts}}, "<="))
                if ge_max:
                    for p in parts:
                        rels.append(({p: 1.0, total: -1.0}, "<="))
    return rels


def recoverable(cells, truth):
    """Hidden cells (value None in ``cells``) whose true value is the only integer the relations, the shown
    cells and non-negativity allow: (key, true value, lowest, highest)."""
    rels = relations(cells, truth)
    hidden = [k for k, v in cells.items() if v is None]
    hid = {k: i for i, k in enumerate(hidden)}
    parent = list(range(len(hidden)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a
    rel_h = []
    for coeffs, sense in rels:
        hs = [hid[k] for k in coeffs if k in hid]
        if not hs:
            continue
        rel_h.append((coeffs, sense, hs))
        for a in hs[1:]:
            parent[find(a)] = find(hs[0])
    comps = defaultdict(list)
    for i in range(len(hidden)):
        comps[find(i)].append(i)
    comp_rels = defaultdict(list)
    for r in rel_h:
        comp_rels[find(r[2][0])].append(r)
    out = []
    for root, members in comps.items():
        rs = comp_rels.get(root, [])
        if not rs:
            continue
        local = {h: j for j, h in enumerate(members)}
        aeq, beq, aub, bub = [], [], [], []
        for coeffs, sense, _ in rs:
            row = np.zeros(len(members))
            const = 0.0
            for k, c in coeffs.items():
                if k in hid:
                    row[local[hid[k]]] += c
                else:
                    const += c * cells[k]
            (aeq if sense == "==" else aub).append(row)
            (beq if sense == "==" else bub).append(-const)
        kw = dict(A_eq=np.array(aeq) if aeq else None, b_eq=np.array(beq) if beq else None,
                  A_ub=np.array(aub) if aub else None, b_ub=np.array(bub) if bub else None,
                  bounds=[(0, None)] * len(members), method="highs")
        x_true = np.array([truth[hidden[h]] for h in members], dtype=float)
        open_ = np.ones(len(members), dtype=bool)  # not yet shown to have room for another whole number
        rng = np.random.default_rng(0)
        for round_ in range(8):  # a few LPs that push many cells at once
            if not open_.any():
                break
            sign = 1.0 if round_ % 2 == 0 else -1.0
            c = np.where(open_, -sign * rng.uniform(0.5, 1.5, len(members)), 0.0)
            res = linprog(c, **kw)
            if res.status == 2:
                raise RuntimeError(f"infeasible around {hidden[members[0]]}: {res.message}")
            if res.status != 0:
                continue
            open_ &= np.abs(res.x - x_true) < 1 - 1e-6
        for j in np.flatnonzero(open_):
            h = members[j]
            c = np.zeros(len(members))
            c[j] = 1
            x = x_true[j]
            hi = linprog(-c, **kw)
            top = math.inf if hi.status == 3 else -hi.fun
            if top >= x + 1 - 1e-6:
                continue  # another whole number is possible above the true value
            lo = linprog(c, **kw)
            if lo.fun <= x - 1 + 1e-6:
                continue
            out.append((hidden[h], x, lo.fun, top))
    return out
