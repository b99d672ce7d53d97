"""Load on the server alone: sessions that speak Streamlit's websocket protocol instead of drawing pages.

The browser load test (``bench_load``) runs 50 Chromium contexts on the
same 2 cores as the server; the browsers then use most of the CPU and the
page times are theirs as much as the server's. Here each session is what
a browser is to the server and nothing more: it opens the websocket
(``/_stcore/stream``), asks for the start page, then clicks through the
same pages as ``bench_load`` by sending the rerun a click on a sidebar
link sends (``BackMsg.rerun_script`` with the page's ``page_script_hash``
from the app's ``navigation`` message and the filters' query string), and
reads the answer until ``script_finished``. A page time is from sending
the rerun to receiving ``script_finished``: the server's work for that
page view, including serialising and sending every element. No
rendering happens, so the client side costs a few milliseconds a page.

An error is a time-out, an exception element in the page, a script that
did not finish successfully or a closed websocket. The page must contain
its heading (checked in the deltas' text), so a page that silently drew
nothing would count as an error.

Same reading time and ramp as ``bench_load``; local addresses only; bounded.
"""

from __future__ import annotations

import asyncio
import random
import time

from benchmarks.bench_load import PAGES, RAMP_S, THINK_S, measure
from benchmarks.common import sample_apps

TIMEOUT_S = 60.0


async def _page(ws, state, heading: str) -> tuple[float, str | None, dict[str, str]]:
    """Send one rerun, read until the script finished; (seconds, error or None, page name → hash)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = BackMsg()
    msg.rerun_script.CopyFrom(state)
    t0 = time.perf_counter()
    await ws.send(msg.SerializeToString())
    pages: dict[str, str] = {}
    texts: list[str] = []
    error = None
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=TIMEOUT_S)
        fwd = ForwardMsg()
        fwd.ParseFromString(raw)
        kind = fwd.WhichOneof("type")
        if kind == "navigation":
            pages = {p.page_name: p.page_script_hash for p in fwd.navigation.app_pages}
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            element = fwd.delta.new_element
            which = element.WhichOneof("type")
            if which == "exception":
                error = f"exception on {heading}"
            elif which in ("heading", "markdown"):
                texts.append(getattr(element, which).body)
        elif kind == "script_finished":
            if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue
            if fwd.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                error = error or f"{heading}: script finished with status {fwd.script_finished}"
            break
    seconds = time.perf_counter() - t0
    if error is None and not any(heading in t for t in texts):
        error = f"{heading}: heading missing"
    return seconds, error, pages


async def _session(base: str, rounds: int, times: list[float], errors: list[str], delay: float,
                   think: tuple[float, float], seed: int) -> None:
    import websockets
    from streamlit.proto.ClientState_pb2 import ClientState

    rng = random.Random(seed)
    await asyncio.sleep(delay)
    try:
        async with websockets.connect(base.replace("http://", "ws://") + "/_stcore/stream",
                                      subprotocols=["streamlit"], origin=base, max_size=None,
                                      open_timeout=TIMEOUT_S) as ws:
            _, error, pages = await _page(ws, ClientState(query_string="", page_name=""), "Översikt")
            if error:
                errors.append(f"start: {error}")
                return
            for _ in range(rounds):
                for link, heading in PAGES:
                    if think[1] > 0:
                        await asyncio.sleep(rng.uniform(*think))
                    try:
                        seconds, error, _ = await _page(ws, ClientState(query_string="", page_script_hash=pages[link]),
                                                        heading)
                    except Exception as exc:  # noqa: BLE001 - counted, reported, the run goes on
                        errors.append(f"{heading}: {type(exc).__name__}")
                        continue
                    if error:
                        errors.append(error)
                    else:
                        times.append(seconds)
    except Exception as exc:  # noqa: BLE001
        errors.append(f"start: {type(exc).__name__}")


async def _load(bases, sessions: int, rounds: int, think: tuple[float, float]):
    """``bases``: one URL, or several processes' URLs (session i goes to process i mod n, as a sticky proxy)."""
    bases = [bases] if isinstance(bases, str) else list(bases)
    times: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(_session(bases[i % len(bases)], rounds, times, errors, i * RAMP_S, think, seed=i)
                           for i in range(sessions)))
    return times, errors, time.perf_counter() - t0


def run(session_counts: tuple[int, ...] = (10, 25, 50), rounds: int = 2,
        stress_counts: tuple[int, ...] = (50,), processes: int = 1) -> list[dict]:
    """Protocol sessions against ``processes`` Streamlit processes on one store (1: one ``streamlit run``)."""
    out = []
    plan = [(n, THINK_S) for n in session_counts] + [(n, (0.0, 0.0)) for n in stress_counts]
    with sample_apps(processes) as apps:
        asyncio.run(_load(apps, len(apps), 1, (0.0, 0.0)))  # warm the caches once, as a running service would be
        where = "" if processes == 1 else f", {processes} Streamlit processes"
        for n, think in plan:
            row, line = measure([a.pid for a in apps], n, think, _load(apps, n, rounds, think))
            print(f"load protocol {n}{where} {line}")
            out.append({
                "benchmark": f"load (protocol clients{where}): {n} concurrent sessions, rerun sent → script finished",
                "client": "protocol" + (f", {processes} processes" if processes > 1 else ""), "processes": processes,
                **row,
            })
    return out


if __name__ == "__main__":
    import sys

    counts = tuple(int(x) for x in sys.argv[1:]) or (10, 25, 50)
    print(run(counts))
