"""The suppliers' pseudonymisation tool (issue 20): rows/s and peak memory per input file.

What is measured: ``python -m data_access pseudonymise --key-file KEY --out DIR
--reference-date 2026-12-07 FILE`` on one generated ``hospital_stays`` extract, in which
``person_id`` is replaced by a ``personnummer`` column and ``age`` is left out (the tool derives
it from the number and ``admission_time``). Cases:

* **a** 1 000 000 rows, every row a distinct person, UTF-8, comma-separated;
* **b** the same shape with 2 000 000 rows (does memory stay flat when the file doubles?);
* **c** 1 000 000 rows of about 30 000 persons who recur (a region's stays);
* **d** the rows of **a** as Swedish Excel writes CSV: Windows-1252, semicolons, CRLF;
* **e** an xlsx workbook of 100 000 rows (openpyxl's read-only reader is the limit there).

How: every run is a fresh interpreter (so that no case's memory or caches carry into
another) that calls the CLI's ``main()`` with those arguments and times
:func:`data_access.pseudonymise.pseudonymise` itself (reading, parsing, HMAC, writing the
output; not interpreter start or imports). The child reports that time and its peak resident
memory (VmHWM from /proc/self/status: ``ru_maxrss`` is carried over ``execve`` on Linux and
would report the parent's peak, which holds the generated data). The parent also times the
whole command, interpreter start to exit. Median of 3 runs for a–d, one run for e; peak
memory is the highest of the runs. Output goes to var/bench/pseudonymise/out and is removed
after each run.

The data is generated once into var/bench/pseudonymise/ (git-ignored), vectorised with numpy:
distinct valid twelve-digit numbers with birth dates 1915–1960 and the Luhn check digit
computed. Birth numbers are drawn from 880–999: the test range 980–999 that
``tests/personnummer_factory.py`` uses holds only 20 × 16 801 = 336 020 numbers for those
dates, fewer than the 2 000 000 distinct persons of case b. Sex is given (consistent with the
number); every file carries one column outside the contract, ``avdelning`` (ward, with å/ä/ö,
dropped by the tool), so that the Windows-1252 file of case d really is read as
Windows-1252 and a and d hold the same text.

``python -m benchmarks.bench_pseudonymise [--cases a,b,c,d,e] [--runs 3]`` prints the table;
``--profile a`` runs one case in-process under cProfile instead and prints where the time goes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import CACHE, ROOT, machine

BASE = CACHE / "pseudonymise"
REFERENCE_DATE = dt.date(2026, 12, 7)
GENERATOR_VERSION = 2  # bump when the generated files change shape

# case: (label, rows, distinct persons or None = every row its own, format)
CASES: dict[str, tuple[str, int, int | None, str]] = {
    "a": ("a: CSV UTF-8 comma-separated, every row a distinct person", 1_000_000, None, "csv"),
    "b": ("b: as a, twice the rows", 2_000_000, None, "csv"),
    "c": ("c: as a, 30 000 recurring persons", 1_000_000, 30_000, "csv"),
    "d": ("d: the rows of a as Windows-1252 with semicolons and CRLF", 1_000_000, None, "cp1252"),
    "e": ("e: xlsx, every row a distinct person", 100_000, None, "xlsx"),
}
SEEDS = {"a": 1, "b": 2, "c": 3, "d": 1, "e": 5}  # d is a's rows in another dialect

FIRST_BIRTH, LAST_BIRTH = dt.date(1915, 1, 1), dt.date(1960, 12, 31)
BIRTH_NUMBERS = (880, 999)  # inclusive
FIRST_ADMISSION, LAST_ADMISSION = dt.datetime(2023, 11, 1), dt.datetime(2026, 10, 31, 23, 59)
MUNICIPALITIES = ("1490", "1463", "1491", "1452", "1465", "1466", "1442", "1443")
DISCHARGE_TO = ("hem", "korttid", "avliden", "annat", "annat_sjukhus", "sarskilt_boende")
WARDS = ("Medicin Södra Älvsborg", "Geriatrik Borås", "Kirurgi Skene", "Ortopedi Alingsås", "Infektion Borås",
         "Akutvårdsavdelning Östra", "Hjärtsjukvård Ulricehamn", "Strokeenhet Mölndal")
_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


# --- generated input ---------------------------------------------------------------------------


def numbers(n: int, seed: int):
    """``n`` distinct valid twelve-digit personnummer (int64 YYYYMMDDNNNC) and their birth dates."""
    import numpy as np

    rng = np.random.default_rng(seed)
    days = (LAST_BIRTH - FIRST_BIRTH).days + 1
    per_day = BIRTH_NUMBERS[1] - BIRTH_NUMBERS[0] + 1
    if n > days * per_day:
        raise ValueError(f"only {days * per_day} distinct numbers in the range")
    picks = rng.choice(days * per_day, size=n, replace=False)
    births = np.datetime64(FIRST_BIRTH, "D") + (picks // per_day).astype("timedelta64[D]")
    serial = BIRTH_NUMBERS[0] + picks % per_day
    year = births.astype("datetime64[Y]").astype(np.int64) + 1970
    month = births.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (births - births.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    nine = ((year % 100) * 10_000 + month * 100 + day) * 1000 + serial  # YYMMDDNNN
    digits = [(nine // 10 ** (8 - i)) % 10 for i in range(9)]
    double = np.array(_LUHN_DOUBLE, dtype=np.int64)
    luhn = sum(double[d] if i % 2 == 0 else d for i, d in enumerate(digits))
    check = (10 - luhn % 10) % 10
    full = ((year * 10_000 + month * 100 + day) * 1000 + serial) * 10 + check
    _check_against_factory(full[:2000])
    return full, births


def _check_against_factory(sample) -> None:
    """The vectorised check digit agrees with the test factory's per-value Luhn."""
    sys.path.insert(0, str(ROOT))
    from tests.personnummer_factory import luhn

    for value in sample.tolist():
        text = f"{value:012d}"
        assert luhn(text[2:11]) == text[11], text


def _minutes(values) -> object:
    """datetime64[m] → pyarrow strings 'YYYY-MM-DD HH:MM' (null where NaT)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(np.datetime_as_string(values, unit="m"), mask=np.isnat(values))
    return pc.replace_substring(text, "T", " ")


def frame(rows: int, persons: int | None, seed: int):
    """A hospital_stays extract as a pyarrow table: personnummer instead of person_id, no age column."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    pnr, _ = numbers(persons or rows, seed)
    rng = np.random.default_rng(seed + 1000)
    if persons:
        pnr = pnr[rng.integers(0, persons, size=rows)]
    sex = np.where((pnr // 10) % 2 == 1, "M", "K")
    span = int((LAST_ADMISSION - FIRST_ADMISSION).total_seconds() // 60)
    admission = np.sort(np.datetime64(FIRST_ADMISSION, "m") + rng.integers(0, span, size=rows).astype("timedelta64[m]"))
    stay = rng.integers(30, 20 * 24 * 60, size=rows).astype("timedelta64[m]")
    discharged = rng.random(rows) >= 0.0036
    discharge = np.where(discharged, admission + stay, np.datetime64("NaT", "m"))
    called = discharged & (rng.random(rows) >= 0.43)
    followup = np.where(called, discharge + rng.integers(60, 3 * 24 * 60, size=rows).astype("timedelta64[m]"),
                        np.datetime64("NaT", "m"))
    discharge_to = np.array(DISCHARGE_TO, dtype=object)[rng.integers(0, len(DISCHARGE_TO), size=rows)]
    plan = np.array(["ja", "ja", "ja", "nej", None], dtype=object)[rng.integers(0, 5, size=rows)]
    ids = pc.binary_join_element_wise("VT", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, rows + 1)), pa.string()), 8, "0"), "")
    return pa.table({
        "stay_id": ids,
        "personnummer": pc.cast(pa.array(pnr), pa.string()),
        "municipality_code": pa.array(np.array(MUNICIPALITIES, dtype=object)[rng.integers(0, len(MUNICIPALITIES), size=rows)]),
        "sex": pa.array(sex.astype(object)),
        "admission_time": _minutes(admission),
        "discharge_time": _minutes(discharge),
        "admission_type": pa.array(np.where(rng.random(rows) < 0.79, "akut", "planerad").astype(object)),
        "discharge_to": pa.array(discharge_to, mask=~discharged),
        "care_plan_complete": pa.array(plan, type=pa.string()),
        "followup_call_time": _minutes(followup),
        "avdelning": pa.array(np.array(WARDS, dtype=object)[rng.integers(0, len(WARDS), size=rows)]),
    })


def input_file(case: str) -> Path:
    """The case's input file, generated once (written beside and renamed, so a broken run is not reused)."""
    label, rows, persons, fmt = CASES[case]
    folder = BASE / f"{case}_v{GENERATOR_VERSION}"
    path = folder / ("hospital_stays.xlsx" if fmt == "xlsx" else "hospital_stays.csv")
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (".tmp-" + path.name)
    t0 = time.perf_counter()
    if fmt == "cp1252":
        _as_excel_csv(input_file("a"), tmp)
    elif fmt == "xlsx":
        _write_xlsx(frame(rows, persons, SEEDS[case]), tmp)
    else:
        import pyarrow.csv as pacsv

        pacsv.write_csv(frame(rows, persons, SEEDS[case]), tmp,
                        write_options=pacsv.WriteOptions(quoting_style="none", quoting_header="none"))
    os.replace(tmp, path)
    print(f"generated {path.relative_to(ROOT)} ({rows:,} rows, {path.stat().st_size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - t0:.1f} s")
    return path


def _as_excel_csv(source: Path, target: Path) -> None:
    """``source`` (UTF-8, ',', LF) as Swedish Excel saves CSV: Windows-1252, ';', CRLF."""
    with open(source, encoding="utf-8", newline="") as src, open(target, "wb") as out:
        while lines := src.readlines(8 << 20):
            text = "".join(lines)
            assert ";" not in text
            out.write(text.replace(",", ";").replace("\n", "\r\n").encode("cp1252"))


def _write_xlsx(table, target: Path) -> None:
    """One sheet named hospital_stays, typed as an Excel export: times as dates, codes as numbers."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("hospital_stays")
    ws.append(table.column_names)
    columns = table.to_pydict()
    times = {"admission_time", "discharge_time", "followup_call_time"}
    for name in times:
        columns[name] = [dt.datetime.strptime(v, "%Y-%m-%d %H:%M") if v else None for v in columns[name]]
    columns["municipality_code"] = [int(v) for v in columns["municipality_code"]]
    for row in zip(*(columns[name] for name in table.column_names), strict=True):
        ws.append(row)
    with open(target, "wb") as f:
        wb.save(f)
    _add_dimension(target, f"A1:{get_column_letter(table.num_columns)}{table.num_rows + 1}")


def _add_dimension(path: Path, ref: str) -> None:
    """Write the sheet's ``<dimension>`` as Excel does; openpyxl's write-only mode leaves it out.

    Without it openpyxl's read-only reader parses the whole sheet once more on opening, looking
    for it (about a third of the time on this file), which no workbook saved by Excel costs.
    """
    import zipfile

    name = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as z:
        entries = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            if info.filename == name:
                assert b"<dimension" not in data and b"</sheetPr>" in data
                data = data.replace(b"</sheetPr>", b'</sheetPr><dimension ref="' + ref.encode() + b'" />', 1)
            z.writestr(info, data)


def key_file() -> Path:
    path = BASE / "bench.key"
    if not path.exists():
        BASE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "data_access", "pseudonymise", "--new-key", str(path)],
                       cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True)
    return path


# --- one run: a fresh interpreter that runs the CLI --------------------------------------------

_CHILD = """
import json, sys, time
import data_access.pseudonymise as tool
from data_access.__main__ import main

real, seen = tool.pseudonymise, {}

def timed(*args, **kwargs):
    t0 = time.perf_counter()
    result = real(*args, **kwargs)
    seen["s"] = time.perf_counter() - t0
    seen["rows"] = sum(w.counts.rows for w in result[0])
    seen["errors"] = len(result[1])
    return result

tool.pseudonymise = timed
code = main(sys.argv[1:])
peak = float("nan")
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        peak = int(line.split()[1]) / 1024
print(json.dumps({"exit": code, "peak_mb": peak, **seen}))
"""


def run_once(path: Path, out: Path) -> dict:
    """One CLI run in a fresh interpreter: the tool's seconds, rows, peak MB, and the whole command's seconds."""
    shutil.rmtree(out, ignore_errors=True)
    args = ["pseudonymise", "--key-file", str(key_file()), "--out", str(out),
            "--reference-date", REFERENCE_DATE.isoformat(), "--errors", str(out.parent / "fel.csv"), str(path)]
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    command_s = time.perf_counter() - t0
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise RuntimeError(f"pseudonymise failed ({done.returncode}): {done.stderr[-2000:]}") from None
    if result["exit"] != 0 or result.get("errors"):
        raise RuntimeError(f"pseudonymise rejected {path.name}: {done.stderr[-2000:]}")
    written = out / "hospital_stays.csv"
    with open(written, "rb") as f:
        header = f.readline().decode().strip().replace('"', "").split(",")
    assert header[:4] == ["stay_id", "person_id", "municipality_code", "age"], header
    shutil.rmtree(out, ignore_errors=True)
    return {**result, "command_s": command_s}


def run(cases=tuple(CASES), runs: int = 3) -> list[dict]:
    results = []
    for case in cases:
        label, rows, _, fmt = CASES[case]
        path = input_file(case)
        n = 1 if fmt == "xlsx" else runs
        done = [run_once(path, BASE / "out" / case) for _ in range(n)]
        assert all(r["rows"] == rows for r in done), [r["rows"] for r in done]
        median = statistics.median(r["s"] for r in done)
        r = {"benchmark": f"pseudonymise {label}", "rows": rows, "runs": n, "median_s": median,
             "rows_per_s": rows / median, "peak_mb": max(r["peak_mb"] for r in done),
             "command_s": statistics.median(r["command_s"] for r in done),
             "file_mb": round(path.stat().st_size / 1e6, 1)}
        results.append(r)
        each = ", ".join(f"{x['s']:.2f}" for x in done)
        print(f"pseudonymise {label}: {rows:,} rows, median {median:.2f} s over {n} "
              f"({each}) → {r['rows_per_s']:,.0f} rows/s, "
              f"peak {r['peak_mb']:.0f} MB, whole command {r['command_s']:.2f} s")
    return results


def table(results: list[dict]) -> str:
    lines = ["| case | rows | runs | median | rows/s | peak memory | whole command |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['benchmark'].removeprefix('pseudonymise ')} | {_sv(r['rows'])} | {r['runs']} "
                     f"| {r['median_s']:.2f} s | {_sv(r['rows_per_s'])} | {_sv(r['peak_mb'])} MB "
                     f"| {r['command_s']:.2f} s |")
    return "\n".join(lines)


def _sv(n: float) -> str:
    """A whole number with a space between thousands, as the other tables write it."""
    return f"{round(n):,}".replace(",", " ")


def profile(case: str, top: int = 30) -> None:
    """One run of ``case`` in this process under cProfile: the functions that take the time."""
    import cProfile
    import pstats

    from data_access.pseudonymise import Options, pseudonymise, read_key

    path = input_file(case)
    out = BASE / "out" / f"profile_{case}"
    shutil.rmtree(out, ignore_errors=True)
    key, _ = read_key(key_file())
    options = Options(key, REFERENCE_DATE)
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    written, errors = pseudonymise([path], out, options)
    prof.disable()
    print(f"{CASES[case][0]}: {time.perf_counter() - t0:.2f} s under cProfile, {len(errors)} errors")
    shutil.rmtree(out, ignore_errors=True)
    stats = pstats.Stats(prof).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_pseudonymise")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated, of " + ", ".join(CASES))
    parser.add_argument("--runs", type=int, default=3, help="runs per CSV case (xlsx: always one)")
    parser.add_argument("--profile", choices=tuple(CASES), help="profile one case in-process instead")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile)
    else:
        print(machine())
        found = run(tuple(args.cases.split(",")), runs=args.runs)
        print()
        print(table(found))
