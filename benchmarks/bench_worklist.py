"""The Målgrupper worklist (arbetslista) for the whole area: computed, read from the store, and drawn.

Usage::

    python benchmarks/bench_worklist.py [--scale 10] [--runs 7] [--no-page]

Three measurements, medians of several runs (goal, issue 12: the whole
area's worklist at scale 10, computed and drawn, under 1 s):

1. **computed** (in memory): the sample data are generated in memory
   (``sample_data.generator.generate``, 36 months, seed 42) and only
   ``metrics.worklist`` is timed — the list on the day alone, and what the
   page needs: the list on the day and a month before plus the status
   (``worklist_changes``).
2. **from the store, cold**: ``person_queries.worklist_for`` for an
   akutmottagning viewer on a SQLite store of the same scale (imported once
   into ``var/bench/worklist_scale<N>.db``), with its per-import cache
   emptied before every run: the candidates' rows read from the store, both
   lists computed, scope, status, the access-log row.
3. **computed and drawn**: the Arbetslista page (``pages/arbetslista.py``)
   run with AppTest as a logged-in akutmottagning user — guard, day and
   filters, the list (status, scope, log), the Swedish table and
   ``st.dataframe`` of every row — with the area's lists already computed
   for the store's latest import (what every view after the first one costs);
   and the first view after an import (cold), once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import CACHE, machine, median_time, sample_dir  # noqa: E402

COOKIE_KEY = "bench-" + "k" * 42
USER = "bench_akuten"


def computed(scale: float, runs: int) -> list[dict]:
    from metrics.worklist import month_before, worklist, worklist_changes
    from sample_data.generator import DEFAULT_END_DATE, generate

    frames = generate(months=36, seed=42, scale=scale)
    day = DEFAULT_END_DATE
    worklist(frames, day=day)  # warm-up
    one, t1 = median_time(lambda: worklist(frames, day=day), runs)
    both, t2 = median_time(
        lambda: worklist_changes(worklist(frames, day=day), worklist(frames, day=month_before(day))), runs
    )
    print(f"computed, list on the day: median {one:.3f} s ({', '.join(f'{t:.3f}' for t in t1)})")
    print(f"computed, day + month before + status: median {both:.3f} s ({', '.join(f'{t:.3f}' for t in t2)})")
    return [
        {"benchmark": "Målgrupper worklist, whole area: the day's list (computed)", "scale": scale,
         "backend": "in memory", "median_s": one, "runs": runs},
        {"benchmark": "Målgrupper worklist, whole area: day + month before + status (computed)", "scale": scale,
         "backend": "in memory", "median_s": both, "runs": runs},
    ]


def store(scale: float) -> str:
    """A SQLite store with the sample data of ``scale`` and an akutmottagning user (made once, kept)."""
    from data_access import users
    from data_access.access import SYSTEM
    from data_access.db import make_engine, upgrade
    from data_access.importer import import_paths

    path = CACHE / f"worklist_scale{scale:g}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        engine = make_engine(url)
        upgrade(engine)
        t0 = time.perf_counter()
        assert import_paths([sample_dir(scale)], engine=engine).ok
        users.create_user(engine, access=SYSTEM, username=USER, display_name="Bench akuten", password="x" * 16,
                          grants=(("akutmottagning", None),), rounds=4)
        print(f"store at scale {scale:g} imported in {time.perf_counter() - t0:.1f} s: {path}")
        engine.dispose()
    return url


def from_store(url: str, scale: float, runs: int) -> list[dict]:
    from data_access import person_queries as pq
    from data_access.access import access_for
    from data_access.db import make_engine

    engine = make_engine(url)
    viewer = access_for(USER, [("akutmottagning", None)])
    day = pq.worklist_latest_day(access=viewer, engine=engine)

    def cold():
        pq._WORKLISTS.clear()
        return pq.worklist_for(access=viewer, day=day, engine=engine)

    median, times = median_time(cold, runs)
    rows = len(pq.worklist_for(access=viewer, day=day, engine=engine))
    print(f"worklist_for from the store, cold: {rows:,} rows; median {median:.3f} s "
          f"({', '.join(f'{t:.3f}' for t in times)})")
    engine.dispose()
    return [{"benchmark": "Målgrupper worklist, whole area: read from the store and computed (cold)",
             "scale": scale, "backend": "SQLite", "median_s": median, "runs": runs}]


def drawn(url: str, scale: float, runs: int) -> list[dict]:
    """The Arbetslista page with AppTest: the first view after an import once, then views with the lists cached."""
    from streamlit.testing.v1 import AppTest

    from data_access import person_queries as pq
    from data_access import users
    from data_access.db import get_engine, make_engine
    from data_access.settings import get_settings

    os.environ.update({"DATABASE_URL": url, "COOKIE_KEY": COOKIE_KEY, "BCRYPT_ROUNDS": "4",
                       "LOGIN_MIN_SECONDS": "0"})
    os.environ.pop("DEMO", None)
    get_settings.cache_clear()
    get_engine.cache_clear()
    engine = make_engine(url)

    def view() -> int:
        sid = users.start_session(engine, username=USER,
                                  expires_at=dt.datetime.now().replace(microsecond=0) + dt.timedelta(hours=1))
        at = AppTest.from_file(str(ROOT / "pages" / "arbetslista.py"), default_timeout=300)
        at.session_state["auth_sid"] = sid
        at.run()
        assert not at.exception, at.exception
        return len(at.dataframe[0].value)

    view()  # warm-up: imports, the app's caches (the first view computes the lists)
    pq._WORKLISTS.clear()
    t0 = time.perf_counter()
    rows = view()
    first = time.perf_counter() - t0
    median, times = median_time(view, runs)
    print(f"Arbetslista page, {rows:,} rows drawn: first view after an import {first:.3f} s; "
          f"later views median {median:.3f} s ({', '.join(f'{t:.3f}' for t in times)})")
    engine.dispose()
    return [
        {"benchmark": "Arbetslista page, whole area (akutmottagning): computed and drawn, lists cached for the "
                      "import (AppTest)", "scale": scale, "backend": "SQLite", "median_s": median, "runs": runs},
        {"benchmark": "Arbetslista page, whole area: first view after an import (AppTest, cold)", "scale": scale,
         "backend": "SQLite", "median_s": first, "runs": 1},
    ]


def run(scale: float = 10.0, runs: int = 5, page: bool = True) -> list[dict]:
    """For `make bench`: every measurement above at ``scale``."""
    results = computed(scale, runs)
    if page:
        url = store(scale)
        results += from_store(url, scale, max(3, runs // 2))
        results += drawn(url, scale, runs)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10.0, help="sample data scale (default 10)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs (default 7)")
    parser.add_argument("--no-page", action="store_true", help="only the in-memory computation (no store, no page)")
    args = parser.parse_args(argv)
    print(machine())
    for row in run(args.scale, args.runs, page=not args.no_page):
        print(f"  {row['benchmark']} [{row['backend']}, scale {row['scale']:g}]: {row['median_s']:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
