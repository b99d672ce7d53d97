"""`make bench`: run every benchmark and write docs/benchmarks.md.

Figures are medians of several runs where a run is short (import at scale 1,
page reruns, browser latency) and single runs where a run is long (scale 10
and 40); the table says which. Sample data for scale 10 and 40 is generated
once into var/bench/ (git-ignored). The figures themselves are kept in
benchmarks/results.json (tracked), so that running one section
(``--sections pages``) rewrites the document with the others' last figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

from benchmarks.common import ROOT, machine, sample_dir

DOC = ROOT / "docs" / "benchmarks.md"

GOALS = {
    "import": "≥ 200 000 rows/s including validation (foundation issue)",
    "metrics": "scale 1 < 2 s; scale 10 < 20 s and < 4 GB (metrics issue)",
    "pages": "server-side rerun after a filter change < 150 ms at scale 1 (views issue)",
    "browser": "from the click that picks a new value in a filter (the municipality) until the page is fully "
               "updated (script idle, nothing stale, every chart drawn): ≤ 300 ms median and ≤ 600 ms p90 on "
               "Översikt, Trender, Jämför kommuner, Målgrupper and Månadsuppföljning, default filters, public and "
               "logged in; first view of a municipality not seen before ≤ 500 ms, at scale 1 (issue 18)",
    "load": "p95 page time < 1 s with 50 concurrent browser sessions at scale 1, zero errors (scale issue)",
    "server_cpu": "server CPU per page view ≤ 50 ms median over Översikt, Trender, Jämför kommuner and Målgrupper, "
                  "municipality changed, protocol client, scale 1 (issue 18)",
    "load_filters": "50 protocol sessions, each changing the municipality every 5 s for 2 minutes: p95 page time "
                    "≤ 1 s, zero errors, one or two server processes, scale 1 (issue 18)",
    "pseudonymise": "≥ 200 000 rows/s, memory flat in the file size (issue 20)",
}


def _metrics(scales) -> list[dict]:
    from benchmarks.bench_metrics import run_in_subprocess

    out = []
    for scale in scales:
        r = run_in_subprocess(sample_dir(scale))
        out.append({"scale": scale, **r})
        print(f"metrics scale {scale}: month {r['compute_month_s']} s, peak {r['peak_mb']} MB")
    return out


def _fmt_s(seconds: float) -> str:
    if seconds != seconds:  # NaN: nothing was measured
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def write_doc(sections: dict[str, list[dict]], *, when: str) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks`); do not edit by hand. Speed and memory goals are",
        "measured here, never asserted in timed tests.",
        "",
        "- Measured (section: when, on which machine; figures from different machines are not comparable):",
        when,
        "- Data: `python -m sample_data` at the given scale (scale 1 = the committed default set,",
        "  8 municipalities, 36 months; 10 and 40 = region- and nation-sized).",
        "",
        "## Goals",
        "",
    ]
    lines += [f"- **{k}**: {v}" for k, v in GOALS.items()]
    if sections.get("import"):
        lines += ["", "## Import (parse + validate + store, one transaction)", "",
                  "| scale | backend | rows | runs | median time | rows/s |", "|---|---|---:|---:|---:|---:|"]
        for r in sections["import"]:
            lines.append(f"| {r['scale']:g} | {r['backend']} | {r['rows']:,} | {r['runs']} | {_fmt_s(r['median_s'])} "
                         f"| {r['rows_per_s']:,.0f} |".replace(",", " "))
    if sections.get("metrics"):
        lines += ["", "## Indicator computation (`metrics.compute.compute_all`, all indicators)", "",
                  "| scale | input rows | load (parse + validate) | month | quarter | year | "
                  "CLI, one period type (load + month) | peak memory |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in sections["metrics"]:
            lines.append(
                f"| {r['scale']:g} | {r['rows']:,} | {r['load_s']:.2f} s | {r['compute_month_s']:.2f} s | "
                f"{r['compute_quarter_s']:.2f} s | {r['compute_year_s']:.2f} s | "
                f"{r['load_s'] + r['compute_month_s']:.2f} s | {r['peak_mb']:,} MB |".replace(",", " ")
            )
        slow = sections["metrics"][-1]["per_indicator_month_s"]
        top = sorted(slow.items(), key=lambda kv: -kv[1])[:4]
        lines += ["", "Slowest indicators at the largest scale (months): "
                  + ", ".join(f"`{k}` {v:.2f} s" for k, v in top) + "."]
    if sections.get("browser"):
        lines += ["", "## Browser (headless Chromium, Playwright)", "",
                  "From the click on a new municipality to the page fully updated: script idle, nothing stale, "
                  "every chart drawn (`benchmarks/bench_browser.py`). Median and p90 over the runs; *first view*: "
                  "the first change to a municipality not shown before in that browser session (the very first, "
                  "and the median of all such changes; they are included in the median and p90).", "",
                  "| page | viewer | scale | backend | runs | median | p90 | first view (median of n) | charts |",
                  "|---|---|---|---|---:|---:|---:|---:|---:|"]
        for r in sections["browser"]:
            page = r.get("page", r["benchmark"])
            first = (f"{_fmt_s(r['first_view_s'])} (median {_fmt_s(r['first_view_median_s'])} of {r['first_views']})"
                     if r.get("first_views") else "–")
            lines.append(f"| {page} | {r.get('viewer', 'public')} | {r['scale']:g} | {r['backend']} | {r['runs']} "
                         f"| {_fmt_s(r['median_s'])} | {_fmt_s(r['p90_s']) if r.get('p90_s') else '–'} | {first} "
                         f"| {r.get('charts', '–')} |")
    for key, title in (("pages", "Pages (AppTest rerun after a municipality change)"),
                       ("recompute", "Recompute after an import: full against incremental"),
                       ("other", "Other")):
        if sections.get(key):
            lines += ["", f"## {title}", "", "| what | scale | backend | runs | median |", "|---|---|---|---:|---:|"]
            for r in sections[key]:
                p90 = f" (p90 {_fmt_s(r['p90_s'])})" if r.get("p90_s") else ""
                lines.append(f"| {r['benchmark']} | {r['scale']:g} | {r['backend']} | {r['runs']} | "
                             f"{_fmt_s(r['median_s'])}{p90} |")
    if sections.get("server_cpu"):
        lines += ["", "## Server CPU per page view (protocol client, issue 18)", "",
                  "One protocol session alone changes the sidebar's municipality on each page (the rerun a browser "
                  "sends), after every page and municipality has been seen once (warm caches, as on a running "
                  "server); the server process's CPU time (user + system, all threads, read from /proc in 10 ms "
                  "ticks) before and after each rerun. Mean = total CPU / views (not limited by the ticks).", "",
                  "| page | views | median | mean | p90 |", "|---|---:|---:|---:|---:|"]
        for r in sections["server_cpu"]:
            mean = _fmt_s(r["mean_s"]) if "mean_s" in r else "–"
            lines.append(f"| {r['page']} | {r['runs']} | {_fmt_s(r['median_s'])} | {mean} | {_fmt_s(r['p90_s'])} |")
    load_rows = sections.get("load", []) + sections.get("load_server", []) + sections.get("load_filters", [])
    if load_rows:
        lines += ["", "## Load (concurrent sessions clicking through the pages of one Streamlit process)", "",
                  "Client *Chromium*: a Playwright context each, page time from the click to the page drawn; "
                  "*protocol*: Streamlit's websocket protocol without drawing, page time from the rerun sent "
                  "to the script finished (the server's work alone).", "",
                  "| client | sessions | clicking | scale | backend | page views | p50 | p95 | errors | wall time "
                  "| server CPU (share of one core) | machine CPU (share of all cores) | server peak memory |",
                  "|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        cores = os.cpu_count() or 1
        for r in load_rows:
            kinds = f" ({', '.join(r['error_kinds'])})" if r.get("error_kinds") else ""
            wall = r["wall_s"]
            server = f"{r['server_cpu_s']:.0f} s ({r['server_cpu_s'] / wall:.0%})" if "server_cpu_s" in r else "–"
            busy = f"{r['machine_cpu_s']:.0f} s ({r['machine_cpu_s'] / wall / cores:.0%})" if "machine_cpu_s" in r else "–"
            peak = f"{r['server_peak_mb']:.0f} MB" if "server_peak_mb" in r else "–"
            lines.append(f"| {r.get('client', 'Chromium')} | {r['sessions']} | {r.get('clicking', 'back to back')} "
                         f"| {r['scale']:g} | {r['backend']} "
                         f"| {r['runs']} | {_fmt_s(r['median_s'])} | {_fmt_s(r['p95_s'])} | {r['errors']}{kinds} "
                         f"| {wall:.0f} s | {server} | {busy} | {peak} |")
    if sections.get("pseudonymise"):
        lines += ["", "## Pseudonymisation (suppliers' tool, issue 20)", "",
                  "`python -m data_access pseudonymise` on a generated `hospital_stays` extract (personnummer "
                  "instead of person_id, age derived from the number), each run in a fresh interpreter "
                  "(`benchmarks/bench_pseudonymise.py`). *Median*: the tool's own time (read, parse, HMAC, write); "
                  "*whole command*: interpreter start to exit (median); *peak memory*: the highest of the runs.", "",
                  "| case | rows | runs | median | rows/s | peak memory | whole command |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        def sv(n: float) -> str:  # the case names have commas of their own
            return f"{n:,.0f}".replace(",", " ")

        for r in sections["pseudonymise"]:
            lines.append(f"| {r['benchmark'].removeprefix('pseudonymise ')} | {sv(r['rows'])} | {r['runs']} "
                         f"| {_fmt_s(r['median_s'])} | {sv(r['rows_per_s'])} | {sv(r['peak_mb'])} MB "
                         f"| {_fmt_s(r['command_s'])} |")
    notes = ROOT / "benchmarks" / "NOTES.md"
    if notes.exists():
        lines += ["", notes.read_text(encoding="utf-8").strip()]
    DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {DOC}")


RESULTS = ROOT / "benchmarks" / "results.json"
SECTIONS = ("import", "metrics", "pages", "browser", "recompute", "other", "load", "load_server", "server_cpu",
            "load_filters", "pseudonymise")
BACKENDS = ("SQLite", "PostgreSQL")


def main(argv: list[str] | None = None) -> int:
    import json

    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="scale 1 only (no scale 10/40)")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS),
        help="comma-separated sections to run now; the others are taken from the last run (benchmarks/results.json)",
    )
    args = parser.parse_args(argv)
    wanted = set(args.sections.split(","))
    cached = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    sections: dict[str, list[dict]] = {k: cached.get(k, {}).get("rows", []) for k in SECTIONS}
    stamps: dict[str, str] = {k: cached.get(k, {}).get("when", "") for k in SECTIONS}
    hosts: dict[str, str] = {k: cached.get(k, {}).get("machine", "") for k in SECTIONS}
    big = () if args.quick else (10, 40)
    scales = (1,) if args.quick else (1, 10, 40)
    if "import" in wanted:
        from benchmarks import bench_import

        sections["import"] = bench_import.run(scales=(1, *big))
    if "metrics" in wanted:
        sections["metrics"] = _metrics((1,) if args.quick else (1, 10, 40))
    if "pages" in wanted or "other" in wanted:
        from benchmarks import bench_pages

        pages = bench_pages.run(scales=scales, backends=BACKENDS)
        sections["pages"] = [r for r in pages if "rerun" in r["benchmark"]]
        sections["other"] = [r for r in pages if "recompute" in r["benchmark"]]
        from benchmarks import bench_worklist

        try:
            sections["other"] += bench_worklist.run()
        except Exception as exc:  # noqa: BLE001 - report it; the other sections' figures still get written
            print(f"worklist benchmark failed: {type(exc).__name__}: {exc}")
    if "browser" in wanted:
        from benchmarks import bench_browser

        sections["browser"] = bench_browser.run(scales=scales, backends=BACKENDS)
    if "recompute" in wanted:
        from benchmarks import bench_recompute

        sections["recompute"] = bench_recompute.run(scales=(1,) if args.quick else (1, 10), backends=BACKENDS,
                                                    full_scales=() if args.quick else (40,))
    if "load" in wanted:
        from benchmarks import bench_load

        sections["load"] = bench_load.run((10, 25, 50) if not args.quick else (10,),
                                          stress_counts=() if args.quick else (50,))
    if "load_server" in wanted:
        from benchmarks import bench_load_protocol

        sections["load_server"] = bench_load_protocol.run((10, 25, 50) if not args.quick else (10,),
                                                          stress_counts=() if args.quick else (50,))
        if not args.quick:  # the production set-up's answer: more processes behind the proxy (docs/drift.md)
            sections["load_server"] += bench_load_protocol.run((50,), stress_counts=(), processes=2)
    if "server_cpu" in wanted:
        from benchmarks import bench_load_protocol

        sections["server_cpu"] = bench_load_protocol.run_cpu()
    if "load_filters" in wanted:
        from benchmarks import bench_load_protocol

        sections["load_filters"] = bench_load_protocol.run_filters(50, processes=1)
        if not args.quick:
            sections["load_filters"] += bench_load_protocol.run_filters(50, processes=2)
    if "pseudonymise" in wanted:
        from benchmarks import bench_pseudonymise

        sections["pseudonymise"] = bench_pseudonymise.run()
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    for k in wanted & set(SECTIONS):
        stamps[k], hosts[k] = now, machine()
    RESULTS.write_text(json.dumps({k: {"when": stamps[k], "machine": hosts[k], "rows": sections[k]}
                                   for k in SECTIONS}, default=str,
                                  indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    when = "\n".join(f"  - {k}: {stamps[k]}, {hosts[k] or 'machine not recorded'}" for k in SECTIONS if sections[k])
    write_doc(sections, when=when)
    return 0


if __name__ == "__main__":
    sys.exit(main())
