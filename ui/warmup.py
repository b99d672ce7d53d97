"""Warm the shared caches in the background, so that a municipality's first view is served from them (issue 18).

The pages keep what they compute in process-wide caches (``st.cache_resource``,
keyed by the recompute stamp, the viewer's indicator scope and the filters:
:mod:`ui.context`). A municipality nobody has looked at since the server started
or the data were recomputed costs its first viewer the computation: on this
machine about 350 ms for Översikt's 19 tiles, 150 ms for a Trender chart and its
targets, 1 s for Månadsuppföljning. So the first page a viewer opens also queues,
once per (store, stamp, scope, filters), the same computations for every other
municipality the viewer may see (and the whole area): Översikt's tiles (and their Kolada lines), Trender's
first chart, Målgrupper's tiles and first chart, and for viewers who may open
Månadsuppföljning, each municipality's latest month. A page that asks for a value
the warm-up is computing waits for it (Streamlit computes a cached value once).

One daemon thread per process does the work, one job at a time, so it takes at
most one core's share of the GIL while people click. A failed job is logged and
forgotten: the page then computes the value itself, as without warm-up. Nothing
here draws anything or touches a session; the keys come from the same functions
the pages call (:func:`ui.trend.chart_args`, :func:`ui.context.month_review`),
so the warm-up cannot warm something the pages would not ask for.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from collections.abc import Callable

from data_access.access import may_see_page
from data_access.settings import get_settings
from metrics.cohorts import COHORT_IDS
from ui.context import PageContext, cached_tiles, month_review, review_months, tile_key
from ui.references import tile_lines
from ui.trend import warm_chart

log = logging.getLogger(__name__)

_lock = threading.Lock()
_seen: dict[str, set[tuple]] = {}  # recompute stamp → warm-up keys queued (older stamps are dropped)
_jobs: queue.Queue[Callable[[], None]] = queue.Queue()
_worker: threading.Thread | None = None


def warm(ctx: PageContext) -> bool:
    """Queue the warm-up for the viewer's scope and filters unless it was queued before; True if queued."""
    if not get_settings().warm_caches or ctx.store is None:
        return False
    key = tile_key(ctx)  # (url, stamp, scope, grain, start, end, sex)
    full = (*key, ctx.filters.theme, may_see_page(ctx.viewer, "manadsuppfoljning"))
    job_ctx = dataclasses.replace(ctx)  # its own per-run memos: the page's run goes on with ``ctx``
    return _submit(str(key[1]), full, lambda: warm_now(job_ctx))


def warm_now(ctx: PageContext) -> None:
    """Compute, in page order, what the first view of each municipality of ``ctx`` would compute."""
    codes = ([] if ctx.viewer.municipalities is not None else ["ALL"]) + list(ctx.store.municipalities)
    ids = ctx.indicator_ids()
    cohorts = dataclasses.replace(ctx, filters=dataclasses.replace(ctx.filters, theme="Målgrupper"))
    for code in codes:  # Översikt (and Trender's targets), with the tiles' Kolada lines
        tiles = cached_tiles(ctx, code)
        tile_lines(ctx.viewer, tuple(tiles["indicator_id"]), code, ctx.filters.sex)
    for code in codes:  # Trender's first chart
        if ids:
            warm_chart(ctx, ids[0], code, _target(ctx, code, ids[0]))
    for code in codes:  # Målgrupper: the tiles give the targets, then the first cohort's chart
        warm_chart(ctx, COHORT_IDS[0], code, _target(cohorts, code, COHORT_IDS[0]))
    if may_see_page(ctx.viewer, "manadsuppfoljning"):
        for code in ctx.store.municipalities:
            if ctx.viewer.allows_municipality(code):
                months = review_months(code, ctx.viewer)
                if months:
                    month_review(ctx.viewer, code, months[0])


def _target(ctx: PageContext, code: str, indicator_id: str) -> float | None:
    """The target level the page passes to the chart: from the tiles, as :mod:`pages.trender` reads it."""
    return cached_tiles(ctx, code).set_index("indicator_id")["target_value"].get(indicator_id)


def _submit(stamp: str, key: tuple, job: Callable[[], None]) -> bool:
    global _worker
    with _lock:
        if stamp not in _seen:
            _seen.clear()  # a new recompute: the older stamps' keys are of no use any more
            _seen[stamp] = set()
        if key in _seen[stamp]:
            return False
        _seen[stamp].add(key)
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_run, name="indikatorvy-warmup", daemon=True)
            _worker.start()
    _jobs.put(job)
    return True


def _run() -> None:
    while True:
        job = _jobs.get()
        try:
            job()
        except Exception:  # noqa: BLE001 - never the viewer's problem: the page computes the value itself
            log.warning("warm-up of the page caches failed (the pages compute on demand)", exc_info=True)
        finally:
            _jobs.task_done()


def idle(timeout: float | None = None) -> bool:
    """Wait until every queued warm-up has run (for tests and the benchmarks); True if it has."""
    done = threading.Event()

    def wait() -> None:
        _jobs.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(timeout)
