"""Load: many concurrent browser sessions clicking through the pages of one `streamlit run`.

Goal (scale issue): p95 page time under 1 s at 50 sessions with scale-1 data, zero errors.

One Chromium, one browser context per session (its own cookies, its own
Streamlit session), all against one Streamlit process on a local port with
the scale-1 sample store and the public view (no login: the page work is the
same, and the login's bcrypt would measure something else). Each session
opens the app, then clicks through the indicator pages in the sidebar
``rounds`` times; a page time is the time from the click to the page's
heading being visible and the script having stopped. An error is a
timeout, a Streamlit exception box or a lost websocket.

Sessions start ``RAMP_S`` seconds apart (people do not open the tool in the
same millisecond; without a ramp the 50 Chromium contexts starting at once
measure Chromium's start-up, not the app).

Two ways of clicking (``THINK_S``):

* *with reading time*: after each page a session waits a random 5–15 s
  (seeded per session) before the next click, as a person reads the
  page; 50 sessions then ask for about four page views a second;
* *back to back* (0 s): every session clicks the moment its page is drawn,
  a stress test of the same machine.

Browsers and server share this machine's cores, so each run also records
the CPU time the Streamlit process used and what the whole machine used
(the rest is the Chromium processes and Playwright): the share tells
whether a slow page was the server's work or the browsers'.

Local addresses only; bounded (sessions × rounds clicks), so it ends.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time

from benchmarks.common import cpu_seconds, machine_busy_seconds, peak_rss_mb, sample_app

PAGES = [("Trender", "Trender"), ("Jämför kommuner", "Jämför kommuner"), ("Målgrupper", "Målgrupper"),
         ("Om indikatorerna", "Om indikatorerna"), ("Översikt", "Översikt")]
TIMEOUT_MS = 60_000
RAMP_S = 0.5
THINK_S = (5.0, 15.0)  # reading time between clicks, uniform; (0, 0): back to back


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _session(browser, base: str, rounds: int, times: list[float], errors: list[str], delay: float = 0,
                   think: tuple[float, float] = (0.0, 0.0), seed: int = 0) -> None:
    from playwright.async_api import expect

    rng = random.Random(seed)
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(base, timeout=TIMEOUT_MS)
        await expect(page.get_by_role("heading", name="Översikt", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
        for _ in range(rounds):
            for link, heading in PAGES:
                if think[1] > 0:
                    await asyncio.sleep(rng.uniform(*think))
                t0 = time.perf_counter()
                try:
                    await page.get_by_role("link", name=link, exact=True).click(timeout=TIMEOUT_MS)
                    await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(
                        timeout=TIMEOUT_MS)
                    await page.locator('[data-test-script-state="notRunning"]').wait_for(
                        state="attached", timeout=TIMEOUT_MS)
                    if await page.locator('[data-testid="stException"]').count():
                        errors.append(f"exception on {heading}")
                    times.append(time.perf_counter() - t0)
                except Exception as exc:  # noqa: BLE001 - counted, reported, the run goes on
                    errors.append(f"{heading}: {type(exc).__name__}")
    except Exception as exc:  # noqa: BLE001
        errors.append(f"start: {type(exc).__name__}")
    finally:
        await context.close()


async def _load(base: str, sessions: int, rounds: int,
                think: tuple[float, float] = (0.0, 0.0)) -> tuple[list[float], list[str], float]:
    from playwright.async_api import async_playwright

    times: list[float] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"])
        t0 = time.perf_counter()
        await asyncio.gather(*(_session(browser, base, rounds, times, errors, i * RAMP_S, think, seed=i)
                               for i in range(sessions)))
        wall = time.perf_counter() - t0
        await browser.close()
    return times, errors, wall


def measure(pids: list[int], n: int, think: tuple[float, float], load) -> tuple[dict, str]:
    """Run the coroutine ``load`` (-> times, errors, wall seconds); the figures every load row has, and a summary line.

    CPU and peak memory are summed (CPU) or the highest (memory) over the server processes ``pids``.
    """
    server0, busy0 = sum(cpu_seconds(p) for p in pids), machine_busy_seconds()
    times, errors, wall = asyncio.run(load)
    server_s, busy_s = sum(cpu_seconds(p) for p in pids) - server0, machine_busy_seconds() - busy0
    row = {
        "sessions": n, "clicking": f"reading {think[0]:g}–{think[1]:g} s" if think[1] else "back to back",
        "scale": 1, "backend": "SQLite", "runs": len(times),
        "median_s": statistics.median(times) if times else float("nan"),
        "p95_s": _percentile(times, 0.95) if times else float("nan"),
        "errors": len(errors), "error_kinds": sorted(set(errors))[:5], "wall_s": wall,
        "server_cpu_s": server_s, "machine_cpu_s": busy_s, "server_peak_mb": max(peak_rss_mb(p) for p in pids),
    }
    line = (f"({row['clicking']}): p50 {row['median_s'] * 1000:.0f} ms, p95 {row['p95_s'] * 1000:.0f} ms, "
            f"{len(errors)} errors, {len(times)} page views in {wall:.0f} s; CPU: server {server_s:.0f} s, "
            f"machine {busy_s:.0f} s")
    return row, line


def run(session_counts: tuple[int, ...] = (10, 25, 50), rounds: int = 2,
        stress_counts: tuple[int, ...] = (50,)) -> list[dict]:
    """Sessions with reading time at each of ``session_counts``, then back to back at ``stress_counts``."""
    out = []
    plan = [(n, THINK_S) for n in session_counts] + [(n, (0.0, 0.0)) for n in stress_counts]
    with sample_app() as base:
        asyncio.run(_load(base, 1, 1))  # warm the caches once, as a running service would be
        for n, think in plan:
            row, line = measure([base.pid], n, think, _load(base, n, rounds, think))
            print(f"load {n} {line}")
            out.append({"benchmark": f"load: {n} concurrent sessions, page click → page drawn", **row})
    return out


if __name__ == "__main__":
    counts = tuple(int(x) for x in sys.argv[1:]) or (10, 25, 50)
    print(run(counts))
