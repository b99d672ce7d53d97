"""Server-side page rerun after a filter change (AppTest), and recompute time, per scale and backend.

Goal (views issue): a rerun after a filter change under 150 ms on scale-1 data.
AppTest runs the script in-process, like a rerun in the server, without the
browser and websocket; the browser side is measured in bench_browser.py.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, fresh_store, sample_dir

PAGES = ("pages/oversikt.py", "pages/trender.py", "pages/jamfor.py")


def prepare_store(url: str, scale: float = 1) -> tuple[float, float]:
    """Fill the empty store at ``url`` with the sample data at ``scale`` and recompute; (import s, recompute s)."""
    from data_access.db import make_engine, upgrade
    from data_access.importer import import_paths
    from data_access.recompute import recompute_store

    engine = make_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    assert import_paths([sample_dir(scale)], engine=engine).ok
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    recompute_store(engine=engine)
    recompute_s = time.perf_counter() - t0
    engine.dispose()
    return import_s, recompute_s


def run(runs: int = 15, scales: tuple[float, ...] = (1,), backends: tuple[str, ...] = ("SQLite",)) -> list[dict]:
    results = []
    for scale in scales:
        for backend in backends:
            results += _run_one(runs, scale, backend)
    return results


def _run_one(runs: int, scale: float, backend: str) -> list[dict]:
    from streamlit.testing.v1 import AppTest

    from data_access.db import get_engine
    from data_access.settings import get_settings

    results = []
    with tempfile.TemporaryDirectory() as tmp, fresh_store(Path(tmp), backend, f"pages_s{scale:g}") as url:
        import_s, recompute_s = prepare_store(url, scale)
        results.append({"benchmark": "recompute (all indicators, month+quarter+year, write)", "scale": scale,
                        "backend": backend, "median_s": recompute_s, "runs": 1})
        os.environ["DATABASE_URL"] = url
        os.environ["DEMO"] = "1"  # the public view in demo mode, as `make run`
        # One rerun's own work: no background warm-up in this process competing with the timed reruns (a
        # "cold" municipality here is one the server computes on the click; the browser benchmark measures
        # the warmed server). Issue 18.
        os.environ["WARM_CACHES"] = "0"
        get_settings.cache_clear()
        get_engine.cache_clear()
        codes = ["1490", "1463", "1491", "1442"]
        for page in PAGES:
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
            at.switch_page(page).run()
            key = f"f_{Path(page).stem}_kommun"
            times = []
            for i in range(runs):
                widget = at.multiselect(key=key)
                widget.set_value([codes[i % len(codes)]])
                t0 = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - t0)
                assert not at.exception, at.exception
            cold, warm = times[: len(codes)], times[len(codes):]
            results.append({"benchmark": f"rerun, municipality not seen before (cold cache): {page}",
                            "scale": scale, "backend": backend, "median_s": statistics.median(cold),
                            "runs": len(cold)})
            results.append({"benchmark": f"rerun, municipality seen before (cached): {page}", "scale": scale,
                            "backend": backend, "median_s": statistics.median(warm), "runs": len(warm)})
            print(f"{page} scale {scale:g} {backend}: cold median {statistics.median(cold) * 1000:.0f} ms, "
                  f"cached median {statistics.median(warm) * 1000:.0f} ms")
    return results


if __name__ == "__main__":
    import sys

    scales = tuple(float(x) for x in sys.argv[1:]) or (1,)
    print(run(scales=scales, backends=("SQLite", "PostgreSQL")))
