"""Users, passwords, lockout, sessions and the access log on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from data_access import users
from data_access.access import NOBODY, PUBLIC_VIEWER, SYSTEM, AccessDenied, access_for
from data_access.models import LoginAttempt, User

T0 = dt.datetime(2026, 11, 2, 9, 0, 0)
POLICY = users.LoginPolicy(max_failures=5, lockout_minutes=15, min_seconds=0)
ADMIN = access_for("boss", [("admin", None)])
PW = "ett-långt-lösenord"


def add(store, name="anna", grants=(("ledningsgrupp", "1490"),), password=PW, **kw):
    users.create_user(store, access=SYSTEM, username=name, display_name=f"{name.title()} Test", password=password,
                      grants=grants, rounds=4, **kw)


def login(store, name, password, *, now=T0, allow_demo=False, sleeps=None):
    return users.authenticate(store, name, password, allow_demo=allow_demo, policy=POLICY, now=now,
                              sleep=(sleeps.append if sleeps is not None else lambda s: None))


# --- users -------------------------------------------------------------------


def test_create_user_stores_a_bcrypt_hash_and_never_returns_it(store):
    add(store, "Anna.B")
    with store.connect() as conn:
        row = conn.execute(select(User.username, User.password_hash)).one()
    assert row.username == "anna.b" and row.password_hash.startswith("$2b$04$") and PW not in row.password_hash
    table = users.list_users(store, access=ADMIN)
    assert "password_hash" not in table.columns and not table.astype(str).apply(
        lambda c: c.str.contains(r"\$2b\$")).any().any()
    assert table.loc[0, "grants"] == (("ledningsgrupp", "1490"),)
    assert users.viewer_for(store, "ANNA.B", allow_demo=False) == access_for("anna.b", [("ledningsgrupp", "1490")])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "a"}, "Användarnamnet"),
        ({"name": "anna svensson"}, "Användarnamnet"),
        ({"password": "kort"}, "minst 10"),
        ({"grants": (("ledningsgrupp", None),)}, "kommunkod"),
        ({"grants": (("ledningsgrupp", "Borås"),)}, "kommunkod"),
        ({"grants": (("vardcentral", None),)}, "vårdcentral"),
        ({"grants": (("politiker", "1490"),)}, "hela området"),
        ({"grants": (("chef", None),)}, "Okänd roll"),
    ],
)
def test_invalid_users_are_refused_in_swedish(store, kwargs, message):
    with pytest.raises(users.UserError, match=message):
        add(store, **kwargs)


def test_duplicate_names_are_refused(store):
    add(store)
    with pytest.raises(users.UserError, match="finns redan"):
        add(store, "ANNA")


@pytest.mark.parametrize("actor", [NOBODY, PUBLIC_VIEWER, access_for("p", [("politiker", None)]),
                                   access_for("l", [("ledningsgrupp", "1490")]), None])
def test_only_admins_manage_users(store, actor):
    add(store)
    calls = [
        lambda: users.create_user(store, access=actor, username="x1", display_name="X", password=PW, rounds=4),
        lambda: users.set_grants(store, access=actor, username="anna", grants=[("admin", None)]),
        lambda: users.set_password(store, access=actor, username="anna", password=PW + "2", rounds=4),
        lambda: users.set_active(store, access=actor, username="anna", active=False),
        lambda: users.revoke_user_sessions(store, access=actor, username="anna"),
        lambda: users.list_users(store, access=actor),
        lambda: users.user_info(store, access=actor, username="anna"),
        lambda: users.read_access_log(store, access=actor),
    ]
    for call in calls:
        with pytest.raises(AccessDenied):
            call()
    assert users.viewer_for(store, "anna", allow_demo=False).roles == {"ledningsgrupp"}


def test_roles_change_at_once_and_the_last_admin_stays(store):
    add(store, "boss", grants=(("admin", None),))
    add(store)
    users.set_grants(store, access=ADMIN, username="anna", grants=[("processledare", "1463"), ("vardcentral", "X")])
    v = users.viewer_for(store, "anna", allow_demo=False)
    assert v.municipalities == {"1463"} and v.care_centres == {"X"} and v.can_export
    with pytest.raises(users.UserError, match="minst en aktiv administratör"):
        users.set_grants(store, access=ADMIN, username="boss", grants=[("politiker", None)])
    with pytest.raises(users.UserError, match="minst en aktiv administratör"):
        users.set_active(store, access=ADMIN, username="boss", active=False)


# --- login, timing and lockout -------------------------------------------------


def test_right_and_wrong_passwords(store):
    add(store)
    assert login(store, "anna", PW) == users.LoginResult(ok=True, username="anna")
    assert login(store, " ANNA ", PW).ok  # the typed name is normalised
    assert not login(store, "anna", PW.upper()).ok
    assert not login(store, "anna", "").ok
    assert login(store, "anna", "wrong").username is None


def test_unknown_inactive_and_demo_users_fail_like_a_wrong_password(store):
    add(store)
    add(store, "gone")
    add(store, "demo_user", password="demo", demo=True)
    users.set_active(store, access=SYSTEM, username="gone", active=False)
    results = [login(store, "nobody", PW), login(store, "gone", PW), login(store, "demo_user", "demo"),
               login(store, "anna", "fel")]
    assert all(r == users.LoginResult(ok=False) for r in results)
    assert login(store, "demo_user", "demo", allow_demo=True).ok  # only in demo mode
    with store.connect() as conn:
        stored = set(conn.execute(select(LoginAttempt.login_hash)).scalars())
    assert users.login_hash("nobody") in stored and not any("nobody" in h for h in stored)


def test_known_and_unknown_names_take_the_same_time(store, monkeypatch):
    from data_access.settings import get_settings

    monkeypatch.setenv("BCRYPT_ROUNDS", "4")  # the dummy hash has the cost of the stored ones
    get_settings.cache_clear()
    known = [f"user{i}" for i in range(3)]
    for name in known:
        add(store, name)
    policy = users.LoginPolicy(min_seconds=0.2)

    def timed(name):  # one attempt per name: no growing delay
        start = time.monotonic()
        result = users.authenticate(store, name, "wrong-password", allow_demo=False, policy=policy)
        assert result == users.LoginResult(ok=False)
        return time.monotonic() - start

    try:
        t_known = [timed(n) for n in known]
        t_unknown = [timed(f"ghost{i}") for i in range(3)]
    finally:
        get_settings.cache_clear()
    assert all(0.2 <= t < 0.45 for t in t_known + t_unknown), (t_known, t_unknown)
    assert abs(sum(t_known) - sum(t_unknown)) / 3 < 0.05, (t_known, t_unknown)


def test_failures_grow_the_delay_and_lock_out_even_the_right_password(store):
    add(store)
    sleeps: list[float] = []
    for i in range(5):
        r = login(store, "anna", "wrong", now=T0 + dt.timedelta(seconds=i), sleeps=sleeps)
        assert not r.ok and not r.locked
    assert sleeps == [0.5, 1.0, 2.0, 4.0]
    locked = login(store, "anna", PW, now=T0 + dt.timedelta(minutes=1), sleeps=sleeps)
    assert locked == users.LoginResult(ok=False, locked=True)
    assert sleeps[-1] == 8.0
    # 15 minutes after the latest failed attempt the lock is gone; a success resets the count
    assert login(store, "anna", PW, now=T0 + dt.timedelta(minutes=16, seconds=1)).ok
    assert users.recent_failures(store, "anna", policy=POLICY, now=T0 + dt.timedelta(minutes=17)) == 0


def test_unknown_names_lock_out_the_same_way(store):
    for i in range(6):
        r = login(store, "ghost", "x", now=T0 + dt.timedelta(seconds=i))
    assert r.locked
    add(store, "ghost")  # the name becomes a user: still locked, as a known name would be
    assert not login(store, "ghost", PW, now=T0 + dt.timedelta(minutes=2)).ok


def test_an_administrator_lifts_a_lockout_early_and_the_failures_stay_on_record(store):
    add(store)
    now = dt.datetime.now().replace(microsecond=0)
    for i in range(5):
        login(store, "anna", "wrong", now=now - dt.timedelta(seconds=10 - i))
    assert login(store, "anna", PW, now=now - dt.timedelta(seconds=4)).locked
    with pytest.raises(AccessDenied):
        users.lift_lockout(store, access=access_for("x", [("ledningsgrupp", "1490")]), username="anna")
    assert users.lift_lockout(store, access=ADMIN, username="anna") == 6  # five wrong, one locked right
    assert login(store, "anna", PW, now=dt.datetime.now() + dt.timedelta(seconds=1)).ok
    with store.connect() as conn:
        failed = conn.execute(select(LoginAttempt).where(LoginAttempt.success.is_(False))).all()
    assert len(failed) == 6
    with pytest.raises(users.UserError):
        users.lift_lockout(store, access=ADMIN, username="nobody_here")


def test_lockout_is_per_name(store):
    add(store)
    add(store, "bert")
    for i in range(6):
        login(store, "anna", "wrong", now=T0 + dt.timedelta(seconds=i))
    assert login(store, "bert", PW, now=T0 + dt.timedelta(seconds=10)).ok


# --- sessions ----------------------------------------------------------------


def check(store, session_id, now, *, idle=30, allow_demo=False):
    return users.check_session(store, session_id, idle_minutes=idle, allow_demo=allow_demo, now=now)


def test_a_session_gives_the_users_viewer_and_logout_revokes_it(store):
    add(store)
    s = users.start_session(store, username="anna", expires_at=T0 + dt.timedelta(hours=12), now=T0)
    assert len(s) == 64 and s != users.start_session(store, username="anna", expires_at=T0, now=T0)
    ok = check(store, s, T0 + dt.timedelta(minutes=5))
    assert ok.viewer == access_for("anna", [("ledningsgrupp", "1490")]) and ok.username == "anna"
    users.revoke_session(store, s, now=T0 + dt.timedelta(minutes=6))
    assert check(store, s, T0 + dt.timedelta(minutes=7)) == users.SessionCheck(None, reason="utloggad")
    assert check(store, "0" * 64, T0).reason == "okänd"
    assert check(store, None, T0).viewer is None


def test_idle_and_expired_sessions_are_refused_and_revoked(store):
    add(store)
    idle = users.start_session(store, username="anna", expires_at=T0 + dt.timedelta(hours=12), now=T0)
    old = users.start_session(store, username="anna", expires_at=T0 + dt.timedelta(hours=1), now=T0)
    # activity keeps a session alive ...
    for minutes in (20, 40, 58):
        assert check(store, old, T0 + dt.timedelta(minutes=minutes)).viewer is not None
    # ... until its absolute end
    assert check(store, old, T0 + dt.timedelta(hours=1)).reason == "utgången"
    assert check(store, idle, T0 + dt.timedelta(minutes=31)).reason == "inaktiv"
    # once refused, always refused (revoked), whatever the clock says
    assert check(store, idle, T0 + dt.timedelta(minutes=1)).reason == "utloggad"


def test_password_reset_deactivation_and_admin_revoke_end_sessions(store):
    add(store)
    later = T0 + dt.timedelta(hours=2)
    for _ in range(3):
        users.start_session(store, username="anna", expires_at=later, now=T0)
    assert users.revoke_user_sessions(store, access=ADMIN, username="anna") == 3
    d = users.start_session(store, username="anna", expires_at=later, now=T0)
    users.set_password(store, access=ADMIN, username="anna", password="ett-nytt-lösenord", rounds=4)
    assert check(store, d, T0).reason == "utloggad"
    assert login(store, "anna", "ett-nytt-lösenord").ok and not login(store, "anna", PW).ok
    e = users.start_session(store, username="anna", expires_at=later, now=T0)
    users.set_active(store, access=ADMIN, username="anna", active=False)
    assert check(store, e, T0).viewer is None


def test_demo_sessions_only_in_demo_mode(store):
    assert users.seed_demo_users(store, rounds=4) == len(users.DEMO_USERS) == 7
    assert users.seed_demo_users(store, rounds=4) == 0  # idempotent
    s = users.start_session(store, username="vc_demo", expires_at=T0 + dt.timedelta(hours=1), now=T0)
    assert check(store, s, T0, allow_demo=True).viewer.care_centres == {users.DEMO_CARE_CENTRE}
    assert check(store, s, T0 + dt.timedelta(minutes=1), allow_demo=False).viewer is None
    assert set(users.login_directory(store, allow_demo=True)) == {u for u, _, _ in users.DEMO_USERS}
    assert users.login_directory(store, allow_demo=False) == {}


def test_a_cookie_is_tied_to_one_session_once(store):
    add(store)
    s = users.start_session(store, username="anna", expires_at=T0 + dt.timedelta(hours=1), now=T0)
    assert users.session_for_cookie(store, "a" * 64) is None
    assert users.bind_cookie(store, s, "a" * 64) and users.session_for_cookie(store, "a" * 64) == s
    assert not users.bind_cookie(store, s, "b" * 64)  # never re-tied
    users.revoke_session(store, s)
    other = users.start_session(store, username="anna", expires_at=T0 + dt.timedelta(hours=1), now=T0)
    users.revoke_session(store, other)
    assert not users.bind_cookie(store, other, "c" * 64)  # nor tied after logout
    with pytest.raises(ValueError):
        users.bind_cookie(store, s, "not a hash")


# --- access log --------------------------------------------------------------


def test_access_log_is_written_for_any_viewer_and_read_by_admins(store):
    vc = access_for("vc1", [("vardcentral", "X")])
    users.log_access(store, access=vc, action="visning", what="mångsökare", rows=12, detail="dag 2026-10-31; X",
                     now=T0)
    users.log_access(store, access=vc, action="export", what="mångsökare", rows=12, now=T0 + dt.timedelta(1))
    log = users.read_access_log(store, access=ADMIN)
    assert log[["username", "action", "rows"]].values.tolist() == [["vc1", "export", 12], ["vc1", "visning", 12]]
    assert users.read_access_log(store, access=ADMIN, username="someone").empty
    with pytest.raises(AccessDenied):
        users.log_access(store, access=None, action="visning", what="x", rows=1)
