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
import statistics
import time

from benchmarks.bench_load import PAGES, RAMP_S, THINK_S, measure
from benchmarks.common import cpu_seconds, sample_apps

TIMEOUT_S = 60.0


async def _page(ws, state, heading: str, widgets: dict[str, str] | None = None,
                texts: list[str] | None = None) -> tuple[float, str | None, dict[str, str]]:
    """Send one rerun, read until the script finished; (seconds, error or None, page name → hash).

    ``widgets``, if given, receives the element id of every multiselect by its label (the sidebar's
    *Kommun*), for a later widget change; ``texts`` receives the headings' and Markdown texts.
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = BackMsg()
    msg.rerun_script.CopyFrom(state)
    t0 = time.perf_counter()
    await ws.send(msg.SerializeToString())
    pages: dict[str, str] = {}
    texts = [] if texts is None else texts
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
            elif which == "multiselect" and widgets is not None:
                widgets[element.multiselect.label] = element.multiselect.id
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


def _connect(base: str):
    """The websocket a browser opens to the Streamlit server at ``base`` (use with ``async with``)."""
    import websockets

    return websockets.connect(base.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"],
                              origin=base, max_size=None, open_timeout=TIMEOUT_S)


async def _session(base: str, rounds: int, times: list[float], errors: list[str], delay: float,
                   think: tuple[float, float], seed: int) -> None:
    from streamlit.proto.ClientState_pb2 import ClientState

    rng = random.Random(seed)
    await asyncio.sleep(delay)
    try:
        async with _connect(base) as ws:
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


# ---------------------------------------------------------------------------------------------------------------
# Issue 18: sessions that stay on one page and change the municipality filter, and the server's CPU per page view.

FILTER_PAGES = ("Översikt", "Trender", "Jämför kommuner", "Målgrupper")  # the goal's pages a public viewer sees
FILTER_NAMES = ("Borås", "Mark", "Ulricehamn", "Bollebygd", "Herrljunga", "Svenljunga", "Tranemo", "Vårgårda")
FILTER_EVERY_S = 5.0
FILTER_DURATION_S = 120.0


def _kommun_state(page_hash: str, widget_id: str, name: str):
    """The rerun a browser sends when the sidebar's Kommun multiselect is set to ``name`` (Streamlit 1.67 sends a
    multiselect's value as its formatted options, ``string_array_value``)."""
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

    state = WidgetState(id=widget_id)
    state.string_array_value.data.append(name)
    return ClientState(query_string="", page_script_hash=page_hash, widget_states=WidgetStates(widgets=[state]))


async def _open(ws, heading: str):
    """Start page, then ``heading``'s page; (its script hash, the Kommun widget's id) or an error string."""
    from streamlit.proto.ClientState_pb2 import ClientState

    _, error, pages = await _page(ws, ClientState(query_string="", page_name=""), "Översikt")
    if error:
        return error
    widgets: dict[str, str] = {}
    _, error, _ = await _page(ws, ClientState(query_string="", page_script_hash=pages[heading]), heading, widgets)
    if error or "Kommun" not in widgets:
        return error or f"{heading}: no Kommun filter"
    return pages[heading], widgets["Kommun"]


async def _filter_session(base: str, heading: str, duration: float, every: float, times: list[float],
                          errors: list[str], delay: float, seed: int) -> None:
    """Open ``heading``'s page, then every ``every`` s (the first after a random part of it) pick the next
    municipality, for ``duration`` s. The page must name the municipality it was given (its heading or text),
    so a change the server ignored counts as an error."""
    rng = random.Random(seed)
    await asyncio.sleep(delay)
    try:
        async with _connect(base) as ws:
            opened = await _open(ws, heading)
            if isinstance(opened, str):
                errors.append(f"start: {opened}")
                return
            page_hash, widget_id = opened
            end = time.perf_counter() + duration
            i = rng.randrange(len(FILTER_NAMES))
            await asyncio.sleep(rng.uniform(0, every))
            while time.perf_counter() < end:
                name = FILTER_NAMES[i % len(FILTER_NAMES)]
                i += 1
                texts: list[str] = []
                widgets: dict[str, str] = {}
                try:
                    seconds, error, _ = await _page(ws, _kommun_state(page_hash, widget_id, name), heading, widgets,
                                                    texts)
                except Exception as exc:  # noqa: BLE001 - counted, reported, the run goes on
                    errors.append(f"{heading}: {type(exc).__name__}")
                    continue
                if error is None and not any(name in t for t in texts) and heading != "Jämför kommuner":
                    error = f"{heading}: {name} not shown"  # Jämför's charts show every municipality whatever the pick
                if error:
                    errors.append(error)
                else:
                    times.append(seconds)
                widget_id = widgets.get("Kommun", widget_id)
                await asyncio.sleep(max(0.0, every - seconds))
    except Exception as exc:  # noqa: BLE001
        errors.append(f"start: {type(exc).__name__}")


async def _filter_load(bases, sessions: int, duration: float, every: float):
    bases = [bases] if isinstance(bases, str) else list(bases)
    times: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(_filter_session(bases[i % len(bases)], FILTER_PAGES[i % len(FILTER_PAGES)], duration,
                                           every, times, errors, i * RAMP_S, seed=i)
                           for i in range(sessions)))
    return times, errors, time.perf_counter() - t0


def run_filters(sessions: int = 50, processes: int = 1, duration: float = FILTER_DURATION_S,
                every: float = FILTER_EVERY_S) -> list[dict]:
    """Issue 18, goal 3: ``sessions`` protocol sessions, each on one of :data:`FILTER_PAGES` (round robin),
    changing the municipality every ``every`` s for ``duration`` s, against ``processes`` Streamlit processes."""
    with sample_apps(processes) as apps:
        for app in apps:  # warm: every page and municipality once in each process, as a running service would be
            _cpu_views(app, app.pid, len(FILTER_NAMES))
        where = "" if processes == 1 else f", {processes} Streamlit processes"
        row, line = measure([a.pid for a in apps], sessions, (every, every), _filter_load(apps, sessions, duration,
                                                                                          every))
        row["clicking"] = f"municipality changed every {every:g} s for {duration:g} s"
        print(f"load protocol filters {sessions}{where} {line}")
        return [{"benchmark": f"load (protocol clients{where}): {sessions} sessions changing the municipality every "
                              f"{every:g} s, rerun sent → script finished",
                 "client": "protocol" + (f", {processes} processes" if processes > 1 else ""), "processes": processes,
                 **row}]


def _cpu_views(base: str, pid: int, changes: int) -> dict[str, list[float]]:
    """One session alone: per page of :data:`FILTER_PAGES`, the server's CPU seconds for each of ``changes``
    municipality changes (the process's CPU time before and after each rerun; nothing else runs)."""

    async def go() -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        async with _connect(base) as ws:
            for heading in FILTER_PAGES:
                opened = await _open(ws, heading)
                if isinstance(opened, str):
                    raise RuntimeError(opened)
                page_hash, widget_id = opened
                cpu = out.setdefault(heading, [])
                for i in range(changes):
                    await asyncio.sleep(0.2)  # let the previous rerun's after-work (session-state clean-up) finish
                    before = cpu_seconds(pid)
                    widgets: dict[str, str] = {}
                    _, error, _ = await _page(ws, _kommun_state(page_hash, widget_id, FILTER_NAMES[i % len(FILTER_NAMES)]), heading,
                                              widgets)
                    await asyncio.sleep(0.05)
                    if error:
                        raise RuntimeError(error)
                    cpu.append(cpu_seconds(pid) - before)
                    widget_id = widgets.get("Kommun", widget_id)
        return out

    return asyncio.run(go())


def run_cpu(changes: int = 16) -> list[dict]:
    """Issue 18, goal 2: the server's CPU per page view, median per page and over all, warm caches (every
    municipality seen once first, as on a server that has been running)."""
    with sample_apps(1) as apps:
        base = apps[0]
        _cpu_views(base, base.pid, len(FILTER_NAMES))  # warm: every page and municipality once
        per_page = _cpu_views(base, base.pid, changes)
    rows = []
    for heading, cpu in per_page.items():
        rows.append({"benchmark": f"server CPU per page view: {heading}, municipality changed (protocol client, warm)",
                     "page": heading, "scale": 1, "backend": "SQLite", "runs": len(cpu),
                     "median_s": statistics.median(cpu), "mean_s": statistics.mean(cpu), "p90_s": _q90(cpu)})
        print(f"server CPU per view {heading:<16} median {statistics.median(cpu) * 1000:.0f} ms, "
              f"mean {statistics.mean(cpu) * 1000:.1f} ms, p90 {_q90(cpu) * 1000:.0f} ms")
    everything = [x for cpu in per_page.values() for x in cpu]
    rows.append({"benchmark": "server CPU per page view: all four pages", "page": "all four", "scale": 1,
                 "backend": "SQLite", "runs": len(everything), "median_s": statistics.median(everything),
                 "mean_s": statistics.mean(everything), "p90_s": _q90(everything)})
    print(f"server CPU per view, all pages: median {statistics.median(everything) * 1000:.0f} ms, "
          f"mean {statistics.mean(everything) * 1000:.1f} ms")
    return rows


def _q90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]


if __name__ == "__main__":
    import sys

    args = sys.argv[1:]
    if args[:1] == ["cpu"]:  # python -m benchmarks.bench_load_protocol cpu [CHANGES]
        run_cpu(*(int(x) for x in args[1:2]))
    elif args[:1] == ["filters"]:  # python -m benchmarks.bench_load_protocol filters [SESSIONS [PROCESSES [SECONDS]]]
        n, procs, secs = ([int(x) for x in args[1:4]] + [50, 1, int(FILTER_DURATION_S)][len(args[1:4]):])
        run_filters(n, procs, duration=secs)
    else:  # python -m benchmarks.bench_load_protocol [SESSIONS ...]: clicking through the pages
        print(run(tuple(int(x) for x in args) or (10, 25, 50)))
