"""``python -m data_access load-sample`` (``make run``) loads the synthetic sample only in demo mode: outside it,
a production store is never touched, and the refusal says how to import real data."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import data_access.__main__ as cli
from data_access.db import make_engine, upgrade
from data_access.queries import store_is_empty
from tests.auth.conftest import ROOT, set_app_env

STAYS = (
    "stay_id,person_id,municipality_code,age,sex,admission_time,discharge_time,admission_type,discharge_to\n"
    "S1,P1,1490,80,K,2025-01-01 10:00,2025-01-05 12:00,akut,hem\n"
)


def assert_refused(code: int, err: str) -> None:
    assert code == cli.EXIT_NOT_DEMO == 4
    assert "Exempeldata laddas bara i demoläge (DEMO=1)" in err
    assert "python -m data_access import SÖKVÄG" in err and "Ladda upp data" in err


@pytest.mark.parametrize("demo", [None, "0", "nej"])
def test_outside_demo_mode_no_store_is_created(tmp_path, monkeypatch, capsys, demo):
    path = tmp_path / "var" / "naravard.db"
    set_app_env(monkeypatch, f"sqlite:///{path}", DEMO=demo)
    code = cli.main(["load-sample"])
    out = capsys.readouterr()
    assert_refused(code, out.err)
    assert out.out == ""
    assert not path.exists() and not path.parent.exists()


def test_outside_demo_mode_an_empty_store_stays_empty(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    engine = make_engine(url)
    upgrade(engine)
    set_app_env(monkeypatch, url)
    assert_refused(cli.main(["load-sample"]), capsys.readouterr().err)
    assert store_is_empty(engine)
    engine.dispose()


def test_in_demo_mode_an_empty_store_gets_the_sample(tmp_path, monkeypatch, capsys):
    (tmp_path / "sample").mkdir()
    (tmp_path / "sample" / "hospital_stays.csv").write_text(STAYS, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    set_app_env(monkeypatch, url, DEMO="1", RECOMPUTE_AFTER_IMPORT="0")
    assert cli.main(["load-sample", "--path", str(tmp_path / "sample")]) == 0
    engine = make_engine(url)
    assert not store_is_empty(engine)
    # and the demo's extract of Kolada's KPI catalogue, for the administrator's search
    from data_access.kolada import search_catalogue

    assert list(search_catalogue("återinskriv", engine=engine)["kpi_id"]) == ["N20506", "U79092"]
    engine.dispose()
    assert cli.main(["load-sample", "--path", str(tmp_path / "sample")]) == 0
    assert "Databasen innehåller redan data" in capsys.readouterr().out


def test_the_command_line_and_make_run(tmp_path):
    """The real command (exit code 4, the message on standard error), and ``make run``'s recipe, which goes on
    to start the app on exit code 4 but stops on any other failure."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEMO", "COOKIE_KEY"}}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{tmp_path / 'prod.db'}", DEMO="0")
    done = subprocess.run([sys.executable, "-m", "data_access", "load-sample"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert_refused(done.returncode, done.stderr)
    assert not (tmp_path / "prod.db").exists()

    recipe = subprocess.run(["make", "-n", "run", f"PY={sys.executable}"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env=env).stdout
    assert "load-sample" in recipe and "-ne 4" in recipe and "streamlit run app.py" in recipe
    fake = tmp_path / "fake-python"  # stands in for the venv's python: load-sample exits 4, streamlit says so
    fake.write_text('#!/bin/sh\nif [ "$3" = load-sample ]; then echo "DEMO=$DEMO" >&2; exit 4; fi\n'
                    'echo "started $*"\n', encoding="utf-8")
    fake.chmod(0o755)
    run = subprocess.run(["make", "--no-print-directory", "-o", "venv", "run", f"PY={fake}"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 0 and "DEMO=0" in run.stderr and "started -m streamlit run app.py" in run.stdout
    fake.write_text('#!/bin/sh\nif [ "$3" = load-sample ]; then exit 3; fi\necho "started $*"\n', encoding="utf-8")
    broken = subprocess.run(["make", "--no-print-directory", "-o", "venv", "run", f"PY={fake}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, env=env)
    assert broken.returncode != 0 and "started" not in broken.stdout
    unset = {k: v for k, v in env.items() if k != "DEMO"}
    fake.write_text('#!/bin/sh\nif [ "$3" = load-sample ]; then echo "DEMO=$DEMO" >&2; exit 0; fi\n'
                    'echo "started $*"\n', encoding="utf-8")
    demo = subprocess.run(["make", "--no-print-directory", "-o", "venv", "run", f"PY={fake}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=unset)
    assert demo.returncode == 0 and "DEMO=1" in demo.stderr and "started" in demo.stdout
