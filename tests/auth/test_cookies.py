"""The remember-me cookie: a forged (wrong key), a revoked (after logout) and an expired cookie are all refused.

The cookie is the library's JWT (``{"username", "exp_date"}``, HS256 with the
cookie key); a login is accepted only if the cookie's signature holds *and*
the server-side session it stands for is valid. The browser test
``tests/browser/test_roles.py`` replays real cookies against the running app.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings

import jwt
import pytest

from data_access import users
from data_access.access import SYSTEM
from ui.auth import cookie_hash_for, cookie_hash_from_cookie

KEY = "a-real-cookie-key-" + "x" * 30
OTHER_KEY = "another-cookie-key-" + "y" * 30


def cookie(username: str, exp: float, key: str = KEY) -> str:
    """What streamlit-authenticator 0.4.2 writes (CookieModel._token_encode)."""
    return jwt.encode({"username": username, "exp_date": exp}, key, algorithm="HS256")


def library_cookie(username: str, exp: float, key: str = KEY) -> str:
    """The same, made by the library's own code, so that a change of its format fails here."""
    from unittest.mock import patch

    from streamlit_authenticator.models.cookie_model import CookieModel

    with patch("extra_streamlit_components.CookieManager"):
        model = CookieModel("c", key, 1.0)
    model.exp_date = exp
    with patch("streamlit_authenticator.models.cookie_model.st") as st:
        st.session_state = {"username": username}
        return model._token_encode()


def test_our_cookie_reading_matches_the_library_format():
    exp = time.time() + 3600
    assert library_cookie("anna", exp) == cookie("anna", exp)


def test_valid_cookie_gives_its_hash():
    exp = time.time() + 3600
    assert cookie_hash_from_cookie(cookie("anna", exp), KEY) == cookie_hash_for("anna", exp, KEY)


def hs512_cookie() -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyJWT warns that the key is short for HS512
        return jwt.encode({"username": "anna", "exp_date": time.time() + 3600}, KEY, algorithm="HS512")


@pytest.mark.parametrize(
    "token",
    [
        cookie("anna", time.time() + 3600, OTHER_KEY),  # forged: signed with another key
        cookie("anna", time.time() - 1),  # expired claim
        hs512_cookie(),  # another algorithm
        jwt.encode({"username": "anna", "exp_date": "never"}, KEY, algorithm="HS256"),
        jwt.encode({"user": "anna", "exp_date": time.time() + 3600}, KEY, algorithm="HS256"),
        jwt.encode({"username": "anna", "exp_date": True}, KEY, algorithm="HS256"),
        "not.a.jwt",
        "",
        None,
    ],
)
def test_forged_expired_and_malformed_cookies_are_refused(token):
    assert cookie_hash_from_cookie(token, KEY) is None


def test_unsigned_and_tampered_cookies_are_refused():
    exp = time.time() + 3600
    header, payload, signature = cookie("anna", exp).split(".")
    admin_payload = cookie("admin", exp).split(".")[1]
    assert cookie_hash_from_cookie(f"{header}.{admin_payload}.{signature}", KEY) is None
    unsigned = jwt.encode({"username": "admin", "exp_date": exp}, None, algorithm="none")
    assert cookie_hash_from_cookie(unsigned, KEY) is None


def test_cookie_hash_depends_on_key_user_and_expiry():
    exp = 1_800_000_000.123456
    ids = {cookie_hash_for("anna", exp, KEY), cookie_hash_for("anna", exp, OTHER_KEY),
           cookie_hash_for("bert", exp, KEY), cookie_hash_for("anna", exp + 1e-6, KEY)}
    assert len(ids) == 4 and all(len(i) == 64 for i in ids)


def test_revoked_and_expired_sessions_refuse_a_well_signed_cookie(store):
    users.create_user(store, access=SYSTEM, username="anna", display_name="Anna", password="ett-långt-lösen",
                      grants=[("politiker", None)], rounds=4)
    now = dt.datetime.now().replace(microsecond=0)

    def logged_in_cookie(hours: float) -> str:
        """A login as ui.auth makes it: the session, then the library's cookie tied to it."""
        exp = (now + dt.timedelta(hours=hours)).timestamp()
        sid = users.start_session(store, username="anna", expires_at=dt.datetime.fromtimestamp(exp), now=now)
        assert users.bind_cookie(store, sid, cookie_hash_for("anna", exp, KEY))
        return cookie("anna", exp)

    def accepted(token, at=now) -> bool:
        sid = users.session_for_cookie(store, cookie_hash_from_cookie(token, KEY, now=at.timestamp()))
        return users.check_session(store, sid, idle_minutes=30, allow_demo=False, now=at).viewer is not None

    live, logged_out, short = logged_in_cookie(12), logged_in_cookie(11.5), logged_in_cookie(0.5)
    assert accepted(live) and accepted(logged_out) and accepted(short)
    users.revoke_session(store, users.session_for_cookie(store, cookie_hash_from_cookie(logged_out, KEY)))
    assert accepted(live) and not accepted(logged_out)
    later = now + dt.timedelta(minutes=29)
    assert accepted(live, later) and not accepted(short, now + dt.timedelta(minutes=31))
    assert not accepted(live, now + dt.timedelta(hours=1))  # idle for 31 minutes since its last use
    # a well-signed cookie that no session was given (e.g. made with a stolen key) is refused too
    assert not accepted(cookie("anna", (now + dt.timedelta(hours=2)).timestamp()))
    # and a forged one never reaches the store
    assert cookie_hash_from_cookie(cookie("anna", (now + dt.timedelta(hours=12)).timestamp(), OTHER_KEY), KEY) is None
