"""Settings that must fail closed (issue 21, item 12): placeholder cookie keys and strictly parsed values."""

from __future__ import annotations

import base64
import os
import re
import secrets

import pytest

from data_access.settings import (
    FALSE_WORDS,
    PROJECT_ROOT,
    README_COOKIE_KEY_PLACEHOLDER,
    TRUE_WORDS,
    Settings,
    SettingsError,
    cookie_key_problem,
    is_placeholder_key,
    parse_bool,
    resolve_cookie_key,
)

PLACEHOLDER = "platshållare eller för kort"

# --- the cookie key ----------------------------------------------------------------


def test_the_readme_placeholder_is_the_one_in_the_readme_and_is_refused():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    values = re.findall(r'^cookie_key = "(.*)"$', readme, flags=re.M)
    assert values == [README_COOKIE_KEY_PLACEHOLDER]
    for value in (values[0], f'"{values[0]}"', f"'{values[0]}'", values[0].upper(), f"  {values[0]}\n"):
        assert PLACEHOLDER in cookie_key_problem(value), value
        assert resolve_cookie_key(value, demo=False) == (None, cookie_key_problem(value))
    resolved, problem = resolve_cookie_key(values[0], demo=True)  # demo mode: replaced by a random key
    assert problem is None and resolved != values[0]


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("paste-your-own-random-key-in-this-place-please", "word: paste"),
        ("PASTE_A_RANDOM_KEY_OF_48_CHARACTERS_RIGHT_HERE", "word: PASTE"),
        ("change-me-change-me-change-me-change-me-1", "word: change"),
        ("CHANGE_ME_TO_SOMETHING_LONG_AND_RANDOM_2026", "word: CHANGE"),
        ("ChangeThisToALongRandomStringBeforeProduction", "word: Change"),
        ("this-is-a-placeholder-for-the-real-key-0001", "word: placeholder"),
        ("replace-with-48-random-characters-before-use", "word: replace"),
        ("my-super-secret-signing-key-for-naravard-01", "word: secret"),
        ("an-example-key-that-is-long-enough-to-pass-1", "word: example"),
        ("insert-the-real-key-here-at-least-32-chars", "word: insert"),
        ("dummy-key-for-local-testing-only-000000000", "word: dummy"),
        ("a-long-random-string-of-at-least-32-chars", "word: random"),
        ("naravard-cookie-key-for-production-2026-ab", "word: cookie"),
        ("password-password-password-password-1234", "word: password"),
        ("python -c 'import secrets; print(secrets.token_urlsafe(48))'", "the command itself"),
        ("output-of-token_urlsafe-48-goes-in-this-field", "word: token_urlsafe"),
        ("generate-a-key-and-put-it-in-this-field-now", "word: generate"),
        ("klistra-in-utskriften-från-kommandot-i-readme", "word: klistra"),
        ("byt-mig-mot-en-riktig-nyckel-innan-produktion", "word: byt-mig"),
        ("BYTMIG_BYTMIG_BYTMIG_BYTMIG_BYTMIG_1", "word: BYTMIG"),
        ("byt ut den här texten mot en slumpad nyckel", "word: byt ut"),
        ("ersätt-med-minst-32-slumpmässiga-tecken-nu", "word: ersätt"),
        ("platshållare-för-den-riktiga-inloggningsnyckeln", "word: platshållare"),
        ("exempel-på-en-nyckel-som-är-lång-nog-att-passera", "word: exempel"),
        ("den-hemliga-nyckeln-till-inloggningscookien-01", "word: hemlig"),
        ("vår-nyckel-för-inloggningen-i-produktion-2026", "word: nyckel"),
        ("mitt-lösenord-för-kakan-som-är-långt-nog-123", "word: lösenord"),
        ("<din slumpade nyckel på minst 32 tecken här>", "angle brackets"),
        ("<KEY>abcdefghijklmnopqrstuvwxyzABCDEFGH</KEY>", "angle brackets"),
        ("{{ cookie_key_from_the_vault_goes_here_1234 }}", "template braces"),
        ("${COOKIE_KEY_FROM_THE_ENVIRONMENT_OF_THE_HOST}", "shell template"),
        ("a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8...", "ellipsis"),
        ("a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8…", "ellipsis"),
        ("xxx", "whole value, short"),
        ("x" * 32, "one character"),
        ("X" * 48, "one character"),
        ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", "uuid template"),
        ("key-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-9f3k", "mostly x"),
        ("Kp2mQ9zL-xxxxx-7tRw4vYb8nJc3hFs6dGa1e", "run of x"),
        ("0" * 40, "one character"),
        ("abababababababababababababababab", "two characters"),
        ("0123456789" * 4, "repeated pattern"),
        ("Kp2mQ9zLw4" * 4, "repeated pattern"),
        ("abcdefghijklmnopqrstuvwxyz0123456789", "straight run"),
        ("9876543210zyxwvutsrqponmlkjihgfedcba", "straight run down"),
        ("Kp2mQ9zL12345678tRw4vYb8nJc3hFs6dGa1e", "straight run inside"),
        ("change-me", "known, short"),
        ("secret", "whole value"),
        ("  SECRET  ", "whole value, case and spaces"),
        ("kort-nyckel", "too short"),
        ("Kp2mQ9zLw4tRvYb8nJc3hFs6dGa1eU7", "31 characters: too short"),
    ],
)
def test_placeholder_and_short_keys_are_refused(key, why):
    assert PLACEHOLDER in (cookie_key_problem(key) or ""), why
    resolved, problem = resolve_cookie_key(key, demo=False)
    assert resolved is None and problem


@pytest.mark.parametrize(
    "key",
    [
        "Kp2mQ9zLw4tRvYb8nJc3hFs6dGa1eU7x",  # 32 characters, one x
        "test-" + "k" * 43,  # tests/auth/conftest.py
        "bench-" + "k" * 42,  # benchmarks/bench_worklist.py
        "från-filen-" + "z" * 30,  # tests/auth/test_startup.py
        "Correct Horse Battery Staple Naravard 1490 Borås",  # a long passphrase
    ],
)
def test_real_keys_are_accepted(key):
    assert cookie_key_problem(key) is None
    assert resolve_cookie_key(f"  {key} ", demo=False) == (key, None)


def test_random_keys_made_as_documented_are_never_taken_for_placeholders():
    for _ in range(2000):
        for key in (secrets.token_urlsafe(48), secrets.token_hex(16), secrets.token_hex(32),
                    base64.b64encode(os.urandom(32)).decode()):
            assert not is_placeholder_key(key), key
            assert cookie_key_problem(key) is None, key


# --- strict booleans and numbers ---------------------------------------------------

BOOLEANS = {"DEMO": ("demo", False), "PUBLIC_VIEW": ("public_view", True),
            "RECOMPUTE_AFTER_IMPORT": ("recompute_after_import", True),
            "INCREMENTAL_RECOMPUTE": ("incremental_recompute", False)}


@pytest.mark.parametrize("variable", list(BOOLEANS))
def test_every_boolean_setting_accepts_the_documented_words_in_any_case(variable):
    field, default = BOOLEANS[variable]
    assert getattr(Settings.from_env({}), field) is default
    for unset in ("", "  "):
        assert getattr(Settings.from_env({variable: unset}), field) is default
    for words, expected in ((TRUE_WORDS, True), (FALSE_WORDS, False)):
        for word in words:
            for spelled in (word, word.upper(), word.capitalize(), f" {word} "):
                assert getattr(Settings.from_env({variable: spelled}), field) is expected, spelled
    assert set(TRUE_WORDS) >= {"1", "true", "ja", "yes", "on", "sant"}
    assert set(FALSE_WORDS) >= {"0", "false", "nej", "no", "off", "falskt"}


@pytest.mark.parametrize("variable", list(BOOLEANS))
@pytest.mark.parametrize("value", ["n", "none", "disabled", "enabled", "y", "j", "2", "-1", "off!", "0n",
                                   "kanske", "falsk", "nope", "null", "t", "f"])
def test_every_boolean_setting_refuses_anything_else(variable, value):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({variable: value})
    message = str(info.value)
    assert variable in message and repr(value) in message
    assert "Tillåtna värden" in message
    for word in ("1", "true", "ja", "yes", "on", "sant", "0", "false", "nej", "no", "off", "falskt"):
        assert re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", message), word


def test_public_view_av_turns_the_public_view_off():
    """The value of the report: ``PUBLIC_VIEW=av`` left the public view on."""
    assert Settings.from_env({"PUBLIC_VIEW": "av"}).public_view is False
    assert Settings.from_env({"PUBLIC_VIEW": "AV"}).public_view is False
    for value in ("n", "none", "disabled"):
        with pytest.raises(SettingsError, match="PUBLIC_VIEW"):
            Settings.from_env({"PUBLIC_VIEW": value})


def test_parse_bool_is_the_one_rule():
    assert parse_bool("X", None, True) is True and parse_bool("X", "", False) is False
    assert parse_bool("X", "På", False) is True and parse_bool("X", "Falskt", True) is False
    with pytest.raises(SettingsError, match="X"):
        parse_bool("X", "jo", False)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SESSION_IDLE_MINUTES", "trettio"), ("SESSION_MAX_HOURS", "12h"), ("LOGIN_MAX_FAILURES", "5.5"),
     ("LOGIN_LOCKOUT_MINUTES", "15 min"), ("LOGIN_MIN_SECONDS", "0,5"), ("BCRYPT_ROUNDS", "tolv"),
     ("SUPPRESSION_MIN", "ett"), ("SUPPRESSION_MAX", "4.0")],
)
def test_numbers_that_are_no_numbers_are_refused_in_swedish(variable, value):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({variable: value})
    assert variable in str(info.value) and repr(value) in str(info.value)


def test_numbers_still_parse_and_empty_means_the_default():
    s = Settings.from_env({"SESSION_IDLE_MINUTES": " 45 ", "SESSION_MAX_HOURS": "1.5", "LOGIN_MIN_SECONDS": "",
                           "BCRYPT_ROUNDS": "2", "SUPPRESSION_MIN": "1", "SUPPRESSION_MAX": "9"})
    assert (s.session_idle_minutes, s.session_max_hours, s.login_min_seconds) == (45, 1.5, 0.5)
    assert s.bcrypt_rounds == 4 and s.suppression_threshold == (1, 9)
    assert Settings.from_env({}) == Settings()


def test_the_command_line_says_which_setting_is_wrong_without_a_traceback(monkeypatch, capsys):
    import data_access.__main__ as cli
    from data_access.settings import get_settings

    monkeypatch.setenv("PUBLIC_VIEW", "kanske")
    get_settings.cache_clear()
    monkeypatch.setattr("sys.argv", ["data_access", "migrate"])
    try:
        assert cli.run() == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "PUBLIC_VIEW" in err and "kanske" in err and "Traceback" not in err and "Oväntat fel" not in err
