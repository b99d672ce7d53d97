"""Browser latency: from the click that picks a new municipality to the page fully updated, in headless Chromium.

Goal (issue 18, item 1): **≤ 300 ms median and ≤ 600 ms p90** on Översikt,
Trender, Jämför kommuner, Målgrupper and Månadsuppföljning, default filters
(all themes), for the public view and logged in; the first view of a
municipality not seen before ≤ 500 ms. Scale 1 on SQLite by default.

What is timed
-------------
Playwright drives Debian's Chromium against ``streamlit run`` on a free
local port (:func:`benchmarks.common.sample_app`: demo mode, a fresh store).
Each (viewer, page) opens the page in a fresh load (``page.goto``: a new
Streamlit session with the default filters), waits until it is settled,
then changes the municipality ``runs`` times:

* indicator pages: the sidebar's *Kommun* multiselect. The previous choice
  is removed first, untimed (the page reruns without it and is waited for
  with the same condition as below); then the list is opened, the name
  typed, and the clock starts at the click on the option (the ``pointerdown``
  event's timestamp, taken in the page);
* Månadsuppföljning: its own *Kommun* selectbox (``mu_kommun``) in the main
  area; the clock starts at the click on the option.

The clock stops at the first animation frame of the final, fully updated
page. ``page.wait_for_function`` polls ``window.__bench.poll`` (defined by
:data:`INIT_JS`, installed into every document before the app's scripts)
on every animation frame; a frame counts as fully updated when all of:

1. a rerun happened since the click: the ``data-test-script-state``
   attribute changed after the click (a MutationObserver counts its
   changes) or the server has sent a message since (the websocket's
   ``message`` events are counted: a fast rerun's messages can arrive in
   one task, and React then renders only its end, so the attribute never
   leaves ``notRunning``; seen on Jämför kommuner in about 1 change of 20),
   so the pre-click page, which is idle and fully drawn too, never counts;
2. the script is idle: ``[data-test-script-state="notRunning"]``;
3. nothing is stale: no ``[data-stale="true"]`` element;
4. every chart is drawn: every ``[data-testid="stPlotlyChart"]`` holds a
   ``.js-plotly-plot`` div (Streamlit mounts the container before Plotly
   starts), and every ``.js-plotly-plot`` has ``_fullLayout`` with
   ``_replotting`` false (Plotly sets it at the start of a draw and clears
   it at the end of ``drawData``), no pending ``_promises`` (fonts, text,
   auto-margin redraws), a ``.main-svg`` child, and no ``display: none`` /
   ``visibility: hidden`` on the div itself (Streamlit hides it until it
   knows its size).

and the page must then stay unchanged for ``QUIET_MS`` (300 ms): no
further script-state change, no message from the server, no Plotly div
added or removed, no further Plotly draw (``plotly_afterplot`` counted per div). The time taken is that
of the *first* frame of that unchanged stretch, so the quiet window costs
wall time, not measured time. The window is needed because Streamlit 1.67
draws every new chart twice (on mount and again 35–170 ms later, same
size, from an effect of its Plotly component): conditions 1–4 alone held
in the gap between the two draws in 3 of 30 changes tried.

Why this waits for the *new* charts (checked in Streamlit 1.67 with a
timeline of every DOM mutation, frame and Plotly draw, see
benchmarks/NOTES.md): a chart whose figure changes gets a new element id,
so Streamlit mounts a new ``stPlotlyChart`` next to the old one while the
script runs (the old one is marked stale) and removes the old one when the
script ends; the new Plotly div may be drawn after the script has ended
(Målgrupper: the sixth chart about 100 ms after ``notRunning``), which (4)
and the quiet window wait for. A chart whose figure does not change
(Jämför kommuner's two charts do not depend on the sidebar's
municipality) keeps its DOM node and is not redrawn, so requiring "every
old node replaced" would wait forever; (1)–(3) ensure the rerun has ended
and nothing old is left. Each run also records, as a check, how many
charts were replaced and how many kept (and whether Plotly redrew a kept
one), and, ``LATE_MS`` after the poll said ready, whether anything changed
still: ``late`` in the result counts such runs and should be 0.

Figures per (page, viewer): median and p90 over the ``runs`` timed changes,
which cycle through a few municipalities so that the page really changes
(public: Mark, Ulricehamn, Vårgårda, Borås; ``processledare``, who sees
Borås and Mark: Mark, Borås). *First view*: the changes to a municipality
not shown before in that browser session (the page's fresh load; the
municipality the page opens with counts as shown: processledare's
sidebar opens on Borås and Månadsuppföljning on Mark, so each of its
pages has one first view). ``first_view_s`` is the first
of those, ``first_view_median_s`` their median; both are included in the
median and p90. The server process is fresh for each (scale, backend).
After a page has loaded, and before its timed changes, the benchmark waits
until the server process is quiet (under 5 % of a core for 1 s): the page's
first view queues the warm-up of every other municipality of the viewer's
scope (``ui/warmup.py``), and the figures are those of a server that has
finished it, as a running service has. A first view is then a municipality
this browser has not shown, computed by the warm-up rather than on the
click. What a first view costs without the warm-up (``WARM_CACHES=0``) is
recorded beside the figures in docs/benchmarks.md.

CLI: ``python -m benchmarks.bench_browser [SCALE ...] [--backend SQLite|PostgreSQL ...] [--runs N]
[--pages oversikt,trender,...] [--viewers public,processledare]``; prints a table, writes no files.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.common import cpu_seconds, sample_app

TIMEOUT_MS = 60_000
DEBUG = False  # print each run's script-state changes after the click (--debug)
QUIET_MS = 300  # the page is updated once fully drawn and unchanged for this long (the time taken ends before it)
LATE_MS = 500  # and after that, a check: nothing may change any more
START_MS = 5_000  # a click that has started no rerun by then and left the widget unchanged was missed
ATTEMPTS = 3
SETTLE_QUIET_MS = 1000  # a freshly loaded page is settled when fully drawn and unchanged for this long

# (url path, title/heading): the pages of the goal. Månadsuppföljning changes its own selectbox.
PAGES = {
    "oversikt": "Översikt",
    "trender": "Trender",
    "jamfor": "Jämför kommuner",
    "malgrupper": "Målgrupper",
    "manadsuppfoljning": "Månadsuppföljning",
}
MONTHLY = "manadsuppfoljning"
# viewer → (user name or None for the public view, pages, municipalities to cycle through)
VIEWERS = {
    "public": (None, ("oversikt", "trender", "jamfor", "malgrupper"), ("Mark", "Ulricehamn", "Vårgårda", "Borås")),
    "processledare": ("processledare", tuple(PAGES), ("Mark", "Borås")),  # sees Borås and Mark (demo users)
}
VIEWER_LABELS = {"public": "public", "processledare": "logged in (processledare)"}

# Installed into every document of the context before the app's scripts (module docstring): counts changes of the
# script state, takes the time of the armed click, and defines the readiness poll.
INIT_JS = r"""
(() => {
  const b = window.__bench = {changes: 0, armed: false, clickAt: null, changesAtClick: 0, readyAt: null,
                              sig: '', sigAt: 0, run: 0, nextId: 0};
  new MutationObserver(records => {
    for (const r of records) if (r.attributeName === 'data-test-script-state') {
      b.changes++;
      const st = r.target.getAttribute('data-test-script-state');
      if (st === 'notRunning') b.idleAt = performance.now();
      (b.states = b.states || []).push([performance.now(), st]);
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
  document.addEventListener('pointerdown', e => {
    if (b.armed) {
      b.armed = false; b.clickAt = e.timeStamp; b.changesAtClick = b.changes; b.sendsAtClick = b.sends;
      b.receivedAtClick = b.received;
    }
  }, true);
  // Messages the page sends to the server (a widget's new value is one), for the message of a timeout.
  b.sends = 0; b.sendsAtClick = 0; b.received = 0; b.receivedAtClick = 0;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    b.sends++;
    (b.states = b.states || []).push([performance.now(), 'sent']);
    if (!this.__benchHooked) {
      this.__benchHooked = true;
      this.addEventListener('message', () => {
        b.received += 1;
        (b.states = b.states || []).push([performance.now(), 'msg']);
      });
    }
    return send.call(this, data);
  };
  // Number every Plotly div and count its draws ('plotly_afterplot' ends every full draw).
  const hook = gd => {
    if (!gd.__benchId) gd.__benchId = ++b.nextId;
    if (!gd.__benchListening && typeof gd.on === 'function') {
      gd.__benchListening = true;
      gd.__benchDraws = gd.__benchDraws || 0;
      gd.on('plotly_afterplot', () => { gd.__benchDraws += 1; });
    }
  };
  // What may change while a page updates: the script state (counted), the set of Plotly divs and their draws.
  b.signature = () => {
    let sig = b.changes + '|' + b.received + '|';
    for (const gd of document.querySelectorAll('.js-plotly-plot')) {
      hook(gd);
      sig += gd.__benchId + ':' + (gd.__benchDraws || 0) + ',';
    }
    return sig;
  };
  // A rerun since the click: the script state changed, or the server answered (a fast rerun's messages can
  // arrive in one task, and React then renders only its end: the state attribute never leaves notRunning).
  b.rerunSinceClick = () => b.changes > b.changesAtClick || b.received > b.receivedAtClick;
  const drawn = gd => {
    const fl = gd._fullLayout;
    return !!fl && !fl._replotting && !(gd._promises && gd._promises.length) && !!gd.querySelector('.main-svg')
      && gd.style.display !== 'none' && gd.style.visibility !== 'hidden';
  };
  // One animation frame: true once the page has been fully updated and unchanged for `quiet` ms; b.readyAt is
  // the first frame of that unchanged, fully updated stretch.
  b.poll = (afterClick, quiet) => {
    const now = performance.now();
    const sig = b.signature();
    if (sig !== b.sig) { b.sig = sig; b.sigAt = now; }
    const app = document.querySelector('[data-testid="stApp"]');
    const ok = !!app && app.getAttribute('data-test-script-state') === 'notRunning'
      && (!afterClick || (b.clickAt !== null && b.rerunSinceClick()))
      && !document.querySelector('[data-stale="true"]')
      && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.js-plotly-plot'))
      && [...document.querySelectorAll('.js-plotly-plot')].every(drawn);
    if (!ok) { b.readyAt = null; return false; }
    if (b.readyAt === null || b.readyAt < b.sigAt) b.readyAt = now;
    return now - b.readyAt >= quiet;
  };
})();
"""

# Before a click (timed or not): mark the charts on the page and their draw counts, arm the clock.
ARM_JS = r"""
() => {
  const b = window.__bench;
  b.run += 1; b.readyAt = null; b.clickAt = null; b.armed = true;
  b.signature();
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    gd.dataset.benchBefore = String(b.run);
    gd.__benchDrawsAtArm = gd.__benchDraws || 0;
  }
}
"""

# After the poll said ready: the time taken, what happened to the charts, and the state for the late check.
RESULT_JS = r"""
() => {
  const b = window.__bench;
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const kept = plots.filter(gd => gd.dataset.benchBefore === String(b.run));
  b.sigAtReady = b.signature();
  const all = (b.states || []).filter(x => x[0] >= b.clickAt).map(x => [Math.round(x[0] - b.clickAt), x[1]]);
  const states = all.filter((x, i) => x[1] !== 'msg' || i === 0 || all[i - 1][1] !== 'msg');
  b.states = [];
  return {states, ms: b.readyAt - b.clickAt, scriptMs: (b.idleAt > b.clickAt ? b.idleAt : b.readyAt) - b.clickAt, charts: plots.length, kept: kept.length,
          keptRedrawn: kept.filter(gd => (gd.__benchDraws || 0) > gd.__benchDrawsAtArm).length};
}
"""

# What the poll is waiting for (for the message of a timeout).
WHY_NOT_JS = r"""
() => {
  const b = window.__bench;
  const app = document.querySelector('[data-testid="stApp"]');
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  return {state: app && app.getAttribute('data-test-script-state'), clicked: b.clickAt !== null,
          rerunsSinceClick: b.changes - b.changesAtClick, receivedSinceClick: b.received - b.receivedAtClick, sentSinceClick: b.sends - b.sendsAtClick,
          connection: app && app.getAttribute('data-test-connection-state'), stale: document.querySelectorAll('[data-stale="true"]').length,
          chartsWithoutPlot: [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
            .filter(c => !c.querySelector('.js-plotly-plot')).length,
          plots: plots.map(gd => ({fullLayout: !!gd._fullLayout, replotting: !!(gd._fullLayout && gd._fullLayout._replotting),
                                   promises: (gd._promises || []).length, svg: !!gd.querySelector('.main-svg'),
                                   display: gd.style.display, visibility: gd.style.visibility})),
          msSinceChange: Math.round(performance.now() - b.sigAt), exception: !!document.querySelector('[data-testid="stException"]')};
}
"""

# LATE_MS later: did anything change after the clock stopped (a chart added, removed or redrawn, a rerun)?
LATE_JS = r"""
() => {
  const b = window.__bench;
  return {changed: b.signature() !== b.sigAtReady, stale: document.querySelectorAll('[data-stale="true"]').length,
          before: b.sigAtReady, after: b.signature()};
}
"""


def _quantile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (``statistics.quantiles``' inclusive method)."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def _settle(page, heading: str) -> None:
    """Wait until a freshly loaded page has drawn itself and stopped rerunning (the cookie component reruns
    the page once its frame has loaded; a click made during that rerun would be merged into it)."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible(timeout=TIMEOUT_MS)
    frame = page.locator('iframe[title="extra_streamlit_components.CookieManager.cookie_manager"]')
    if frame.count():
        handle = frame.first.element_handle()
        content = handle.content_frame() if handle else None
        if content is not None:
            content.wait_for_load_state()
    page.wait_for_function("q => window.__bench.poll(false, q)", arg=SETTLE_QUIET_MS, polling="raf",
                           timeout=TIMEOUT_MS)


def _login(page, base: str, username: str, password: str = "demo") -> None:
    """As tests/browser/test_roles.py ``login``: let the cookie component settle before sending the form."""
    from playwright.sync_api import expect

    page.goto(f"{base}/logga_in")
    user, secret = page.get_by_label("Användarnamn"), page.get_by_label("Lösenord", exact=True)
    expect(user).to_be_visible(timeout=TIMEOUT_MS)
    _settle(page, "Logga in")
    user.fill(username)
    secret.fill(password)
    expect(user).to_have_value(username)
    expect(secret).to_have_value(password)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("link", name="Konto")).to_be_visible(timeout=TIMEOUT_MS)


class MissedClick(Exception):
    """A click that neither started a rerun nor changed the widget (it landed while the list re-filtered)."""


def _timed_click(page, locator, what: str, took_effect, close_list: bool = False) -> dict:
    """Click ``locator`` with the clock armed; wait until the page is fully updated; the page's own timing.

    ``close_list``: press Escape right after the click. Streamlit 1.67's multiselect usually sends its value
    on the click, but a click that leaves its list open (removing a chip can open it) sends the value only
    when the list closes, as a person's next click elsewhere would.
    ``took_effect()`` says whether the widget shows the click's value; if no rerun has started ``START_MS``
    after the click and it does not, the click is reported as missed (:class:`MissedClick`), for a retry.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(ARM_JS)
    locator.click()
    if close_list:
        page.keyboard.press("Escape")
    t0 = time.perf_counter()
    try:
        page.wait_for_function("() => window.__bench.rerunSinceClick()", polling="raf",
                               timeout=START_MS)
    except PlaywrightTimeout:
        if not took_effect():
            raise MissedClick(what) from None
    left = max(1_000, TIMEOUT_MS - int((time.perf_counter() - t0) * 1000))
    try:
        page.wait_for_function("q => window.__bench.poll(true, q)", arg=QUIET_MS, polling="raf", timeout=left)
    except PlaywrightTimeout as exc:
        raise PlaywrightTimeout(f"page not updated {TIMEOUT_MS} ms after {what}: {page.evaluate(WHY_NOT_JS)}") from exc
    return page.evaluate(RESULT_JS)


def _retrying(action, what: str, missed: list[str]):
    """``action()``, again after a missed click (at most ``ATTEMPTS`` times); each miss is noted in ``missed``."""
    for attempt in range(ATTEMPTS):
        try:
            return action()
        except MissedClick:
            missed.append(what)
            print(f"  missed click ({what}), attempt {attempt + 1}: clicking again")
    raise RuntimeError(f"{ATTEMPTS} clicks missed: {what}")


def _late_check(page) -> dict:
    page.wait_for_timeout(LATE_MS)
    return page.evaluate(LATE_JS)


def _sidebar_box(page):
    return page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first


def _chip(page, name: str):
    return _sidebar_box(page).get_by_role("button", name=f"Remove {name}", exact=True)


def _change_sidebar(page, previous: str | None, target: str, missed: list[str]) -> dict:
    """Remove ``previous`` from the sidebar's municipality multiselect (untimed), then time picking ``target``."""
    from playwright.sync_api import expect

    def remove() -> None:
        page.keyboard.press("Escape")
        if _chip(page, previous).count():
            # not counted: the page reruns without it, waited for in full
            _timed_click(page, _chip(page, previous), f"removing {previous}", lambda: not _chip(page, previous).count(),
                         close_list=True)

    def pick() -> dict:
        page.keyboard.press("Escape")
        _sidebar_box(page).click()
        page.keyboard.type(target)
        # Click the option: with 290 municipalities the list filters visibly later than the keys arrive, and Enter
        # could take a hovered option.
        option = page.get_by_role("option", name=target, exact=True)
        expect(option).to_be_visible(timeout=TIMEOUT_MS)
        return _timed_click(page, option, f"picking {target}", lambda: _chip(page, target).count() > 0,
                            close_list=True)

    if previous is not None:
        _retrying(remove, f"removing {previous}", missed)
    return _retrying(pick, f"picking {target}", missed)


def _monthly_value(page) -> str:
    return page.locator(".st-key-mu_kommun input").first.input_value()  # the chosen option's label


def _change_monthly(page, target: str, missed: list[str]) -> dict:
    """Time picking ``target`` in Månadsuppföljning's own Kommun selectbox."""
    from playwright.sync_api import expect

    def pick() -> dict:
        page.keyboard.press("Escape")
        page.locator(".st-key-mu_kommun").get_by_role("button", name="Open").click()  # react-aria ComboBox (1.67)
        option = page.get_by_role("option", name=target, exact=True)
        expect(option).to_be_visible(timeout=TIMEOUT_MS)
        return _timed_click(page, option, f"picking {target} in Månadsuppföljning",
                            lambda: _monthly_value(page) == target)

    return _retrying(pick, f"picking {target} in Månadsuppföljning", missed)


def _shown_at_start(page, slug: str, names: tuple[str, ...]) -> set[str]:
    """The municipalities a freshly loaded page shows before any change (processledare: Borås in the sidebar,
    Mark in Månadsuppföljning's selectbox, its first code)."""
    if slug == MONTHLY:
        return {n for n in names if n == _monthly_value(page)}
    return {n for n in names if _chip(page, n).count()}


def _server_quiet(base, quiet_s: float = 1.0, timeout_s: float = 120.0) -> float:
    """Wait until the server process has used less than 5 % of a core for ``quiet_s`` (its background warm-up
    of the other municipalities, ``ui/warmup.py``, has finished); the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        before = cpu_seconds(base.pid)
        time.sleep(quiet_s)
        if cpu_seconds(base.pid) - before < 0.05 * quiet_s:
            break
    return time.perf_counter() - t0


def _measure_page(page, base: str, slug: str, names: tuple[str, ...], runs: int) -> dict:
    page.goto(f"{base}/{slug}")
    _settle(page, PAGES[slug])
    waited = _server_quiet(base)
    if waited > 2:
        print(f"  {slug}: waited {waited:.0f} s for the server's warm-up to finish")
    seen = _shown_at_start(page, slug, names)
    current = next(iter(seen), None)
    times, idle, first_views, charts, kept, kept_redrawn, late, missed = [], [], [], [], [], 0, 0, []
    order = [n for n in names if n != current] + ([current] if current else [])
    for i in range(runs):
        target = order[i % len(order)]
        r = _change_monthly(page, target, missed) if slug == MONTHLY else _change_sidebar(page, current, target, missed)
        ms = r["ms"]
        if DEBUG:
            print(f"  {slug} -> {target}: {ms:.0f} ms, states {r['states']}")
        times.append(ms / 1000)
        idle.append(r["scriptMs"] / 1000)
        if target not in seen:
            first_views.append(ms / 1000)
            seen.add(target)
        charts.append(r["charts"])
        kept.append(r["kept"])
        kept_redrawn += r["keptRedrawn"]
        after = _late_check(page)
        if after["changed"] or after["stale"]:
            late += 1
            print(f"  {slug} run {i}: changed after the clock stopped: {after}")
        current = target
    return {"times": times, "idle": idle, "first_views": first_views, "charts": max(charts, default=0),
            "kept": max(kept, default=0), "kept_redrawn": kept_redrawn, "late": late, "missed": len(missed)}


def _row(page_slug: str, viewer: str, scale: float, backend: str, runs: int, m: dict | None = None,
         error: str = "") -> dict:
    title = PAGES[page_slug]
    row = {"benchmark": f"browser: municipality change → {title} fully drawn ({VIEWER_LABELS[viewer]})",
           "page": title, "viewer": VIEWER_LABELS[viewer], "scale": scale, "backend": backend}
    if m is None:
        return {**row, "benchmark": row["benchmark"] + f" (failed: {error})", "median_s": float("nan"),
                "p90_s": float("nan"), "runs": 0, "first_view_s": float("nan"),
                "first_view_median_s": float("nan"), "first_views": 0}
    t, f = m["times"], m["first_views"]
    return {**row, "median_s": statistics.median(t), "p90_s": _quantile(t, 0.9), "runs": len(t),
            "script_idle_median_s": statistics.median(m["idle"]),
            "first_view_s": f[0] if f else float("nan"),
            "first_view_median_s": statistics.median(f) if f else float("nan"), "first_views": len(f),
            "charts": m["charts"], "charts_kept": m["kept"], "charts_kept_redrawn": m["kept_redrawn"],
            "late": m["late"], "missed_clicks": m["missed"], "times_s": [round(x, 4) for x in t]}


def run(runs: int = 12, scales: tuple[float, ...] = (1,), backends: tuple[str, ...] = ("SQLite",),
        pages: tuple[str, ...] | None = None, viewers: tuple[str, ...] | None = None) -> list[dict]:
    out = []
    for scale in scales:
        for backend in backends:
            try:
                out += _run_one(runs, scale, backend, pages, viewers)
            except Exception as exc:  # noqa: BLE001 - one failed combination must not lose the others
                print(f"browser scale {scale:g} {backend}: failed: {type(exc).__name__}: {str(exc)[:200]}")
                out.append(_row("trender", "public", scale, backend, runs, error=type(exc).__name__))
    return out


def _run_one(runs: int, scale: float, backend: str, pages: tuple[str, ...] | None,
             viewers: tuple[str, ...] | None) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sample_app(scale=scale, backend=backend) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--no-first-run", "--disable-sync"])
        try:
            for viewer in viewers or tuple(VIEWERS):
                user, viewer_pages, names = VIEWERS[viewer]
                context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="sv-SE")
                context.add_init_script(INIT_JS)
                page = context.new_page()
                try:
                    if user:
                        _login(page, base, user)
                    for slug in viewer_pages:
                        if pages and slug not in pages:
                            continue
                        t0 = time.perf_counter()
                        try:
                            m = _measure_page(page, base, slug, names, runs)
                            row = _row(slug, viewer, scale, backend, runs, m)
                        except Exception as exc:  # noqa: BLE001 - report it, go on with the next page
                            print(f"browser {PAGES[slug]} ({viewer}), scale {scale:g} {backend}: failed: "
                                  f"{type(exc).__name__}: {str(exc)[:300]}")
                            row = _row(slug, viewer, scale, backend, runs, error=type(exc).__name__)
                        rows.append(row)
                        print(_line(row) + f"  [{time.perf_counter() - t0:.0f} s]", flush=True)
                finally:
                    context.close()
        finally:
            browser.close()
    return rows


def _ms(seconds: float) -> str:
    return "–" if seconds != seconds else f"{seconds * 1000:.0f} ms"


def _line(r: dict) -> str:
    return (f"{r['page']:<18} {r['viewer']:<26} scale {r['scale']:g} {r['backend']:<10} runs {r['runs']:>2}  "
            f"median {_ms(r['median_s']):>8} (idle {_ms(r.get('script_idle_median_s', float('nan')))})  p90 {_ms(r['p90_s']):>8}  first view {_ms(r['first_view_s']):>8} "
            f"(median of {r['first_views']}: {_ms(r['first_view_median_s'])})  charts {r.get('charts', '–')} "
            f"(kept {r.get('charts_kept', '–')})  late {r.get('late', '–')}  missed clicks {r.get('missed_clicks', '–')}")


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_browser", description=__doc__.split("\n")[0])
    parser.add_argument("scales", nargs="*", type=float, default=[1.0], help="data scales (default 1)")
    parser.add_argument("--backend", action="append", choices=("SQLite", "PostgreSQL"),
                        help="store (repeatable; default SQLite)")
    parser.add_argument("--runs", type=int, default=12, help="timed changes per page and viewer (default 12)")
    parser.add_argument("--pages", help=f"comma-separated, of {','.join(PAGES)} (default all)")
    parser.add_argument("--viewers", help=f"comma-separated, of {','.join(VIEWERS)} (default both)")
    parser.add_argument("--debug", action="store_true", help="print each run's script-state timeline")
    args = parser.parse_args(argv)
    global DEBUG
    DEBUG = args.debug
    print(f"load average at the start: {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[1]:.1f} (5 min)")
    rows = run(runs=args.runs, scales=tuple(args.scales), backends=tuple(args.backend or ("SQLite",)),
               pages=tuple(args.pages.split(",")) if args.pages else None,
               viewers=tuple(args.viewers.split(",")) if args.viewers else None)
    print()
    for r in rows:
        print(_line(r))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[1]:.1f} (5 min)")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
