"""python -m metrics compute: files in, tidy CSV out."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from metrics import __main__ as cli

ROOT = Path(__file__).resolve().parents[2]

STAYS = """stay_id;person_id;municipality_code;age;sex;admission_time;discharge_time;admission_type;discharge_to;care_plan_complete;followup_call_time
s1;a;1490;80;K;2025-01-02 10:00;2025-01-05 12:00;akut;hem;ja;2025-01-06 10:00
s2;a;1490;80;K;2025-01-20 10:00;2025-01-22 12:00;akut;hem;nej;
s3;b;1463;70;M;2025-02-02 10:00;2025-02-03 12:00;planerad;hem;1;
"""
POPULATION = """municipality_code,year,age_band,sex,population
1490,2025,80-84,K,300
1490,2025,75-79,K,200
1463,2025,80-84,M,100
"""


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "hospital_stays.csv").write_text(STAYS, encoding="utf-8")
    (d / "population.csv").write_text(POPULATION, encoding="utf-8")
    return d


def run(*args):
    return cli.main(["compute", *map(str, args)])


def test_writes_the_tidy_csv(data_dir, tmp_path, capsys):
    out = tmp_path / "out" / "indikatorer.csv"
    assert run("--data", data_dir, "--out", out, "--period", "month", "--no-suppress") == 0
    text = out.read_text(encoding="utf-8")
    t = pd.read_csv(out, dtype={"municipality_code": str, "period": str})
    assert list(t.columns) == list(cli_columns())
    r = t[
        (t.indicator_id == "readmission_30d_65")
        & (t.municipality_code == "1490")
        & (t.sex == "T")
        & (t.period == "2025-01")
    ]
    # s1 is readmitted on day 15 (s2); s2 is not: 1/2 = 50 %
    assert r[["numerator", "denominator", "value"]].values.tolist() == [[1.0, 2.0, 50.0]]
    assert "2025-01-01,2025-01-31" in text  # ISO dates
    assert "50.0" in text and "50,0" not in text  # '.' decimals
    # missing files → saknar_underlag, never 0
    sip = t[t.indicator_id == "sip_coverage_home_care"]
    assert set(sip.status) == {"saknar_underlag"} and sip.value.isna().all()
    assert "Skrev" in capsys.readouterr().out


def cli_columns():
    """The tidy columns and, last, the suppression reason (empty with --no-suppress)."""
    from metrics._tidy import OUTPUT_COLUMNS

    return [*OUTPUT_COLUMNS, "suppression"]


def test_same_columns_with_and_without_suppression(data_dir, tmp_path):
    shown, raw = tmp_path / "shown.csv", tmp_path / "raw.csv"
    assert run("--data", data_dir, "--out", shown, "--period", "month") == 0
    assert run("--data", data_dir, "--out", raw, "--period", "month", "--no-suppress") == 0
    shown_t, raw_t = pd.read_csv(shown, dtype=str), pd.read_csv(raw, dtype=str)
    assert list(shown_t.columns) == list(raw_t.columns) == cli_columns()
    assert raw_t["suppression"].isna().all()


def test_end_date_option(data_dir, tmp_path):
    out = tmp_path / "o.csv"
    assert (
        run(
            "--data",
            data_dir,
            "--out",
            out,
            "--period",
            "quarter",
            "--end-date",
            "2025-06-30",
            "--no-suppress",
        )
        == 0
    )
    t = pd.read_csv(out, dtype=str)
    assert sorted(t.period.unique()) == ["2025-Q1", "2025-Q2"]


def test_suppression_is_applied_unless_no_suppress(data_dir, tmp_path, monkeypatch):
    import metrics.suppression

    calls = []

    def fake_suppress(table, **kwargs):
        calls.append(len(table))
        return table.assign(suppressed=True, suppression="primär")

    monkeypatch.setattr(metrics.suppression, "suppress", fake_suppress)
    out = tmp_path / "o.csv"
    assert run("--data", data_dir, "--out", out, "--period", "year") == 0
    assert len(calls) == 1 and pd.read_csv(out)["suppressed"].all()
    assert run("--data", data_dir, "--out", out, "--period", "year", "--no-suppress") == 0
    assert len(calls) == 1 and not pd.read_csv(out)["suppressed"].any()


def test_invalid_data_exits_1_with_the_import_messages(data_dir, tmp_path, capsys):
    (data_dir / "ed_visits.csv").write_text(
        "visit_id,person_id,municipality_code,age,sex,arrival_time,unit,admitted\nv1,a,1490,abc,K,2025-01-02 10:00,akutmottagning,0\n",
        encoding="utf-8",
    )
    out = tmp_path / "o.csv"
    assert run("--data", data_dir, "--out", out, "--period", "month") == 1
    err = capsys.readouterr().err
    assert "ed_visits.csv" in err and "rad 2" in err and "age" in err
    assert not out.exists()


def test_usage_errors():
    with pytest.raises(SystemExit) as e:
        cli.main(["compute", "--data", "x", "--period", "month"])  # no --out
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        cli.main(["compute", "--data", "x", "--out", "o.csv", "--period", "week"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        cli.main(
            ["compute", "--data", "x", "--out", "o.csv", "--period", "month", "--end-date", "31/12/2025"]
        )
    assert e.value.code == 2


def test_db_branch_calls_recompute_store(monkeypatch, capsys):
    import data_access.recompute

    seen = {}

    def fake(**kwargs):
        seen.update(kwargs)
        return "Indikatorerna är omräknade: 42 värden på 0.1 s."

    monkeypatch.setattr(data_access.recompute, "recompute_store", fake)
    assert cli.main(["compute", "--db"]) == 0
    assert seen == {"period": None}
    assert "42 värden" in capsys.readouterr().out


def test_module_entry_point_with_real_suppression(data_dir, tmp_path):
    out = tmp_path / "o.csv"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "metrics",
            "compute",
            "--data",
            str(data_dir),
            "--out",
            str(out),
            "--period",
            "year",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    t = pd.read_csv(out, dtype={"municipality_code": str})
    # 1490 in 2025: 1 readmitted of 2 index stays — both 1 and 2 are small numbers, so the row is hidden
    r = t[(t.indicator_id == "readmission_30d_65") & (t.municipality_code == "1490") & (t.sex == "T")]
    assert r["suppressed"].tolist() == [True] and r["value"].isna().all()
