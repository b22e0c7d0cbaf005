"""Every setting is checked when a command or the server starts (core/config.py ``check``): a bad value
stops it before anything runs, named with what is wrong and the fix, instead of a traceback or a 500
at the first log-in or payment that reads it. The command line's side: tests/test_operations.py."""

from __future__ import annotations

import pytest

from emitra.core import config

#: a value of each checked setting that cannot work, and what the refusal says about it
BAD = {
    "EMITRA_DATABASE_URL": ("mysql://emitra:pw@127.0.0.1/emitra", "mysql:// databases are not supported"),
    "EMITRA_DATA_DIR": ("{tmp}/a-file", "is a file, not a folder"),
    "EMITRA_SECRET_KEY": ("...", "EMITRA_SECRET_KEY is too short (3 characters; at least 32"),
    "EMITRA_PUBLIC_URL": ("emitra.example.org", "is not an http(s) address"),
    "EMITRA_SECURE_COOKIES": ("yes", "must be 1"),
    "EMITRA_TIMEZONE": ("Asia/Jaipur", "is not a time zone known here"),
    "EMITRA_POLICY_DIR": ("{tmp}/no-such-rules", "is not a folder"),
    "EMITRA_PLUGIN_NAMESPACES": ("jmc_trade:gov.rj.jmc", "'jmc_trade:gov.rj.jmc' is not plugin=namespace"),
    "EMITRA_STRIPE_LSP_ACCOUNTS": ("1=acct", "is not '<lsp id>=acct_...'"),
    "EMITRA_STRIPE_API_BASE": ("api.stripe.com", "is not a base URL"),
    "EMITRA_STRIPE_TIMEOUT": ("soon", "is not a number"),
    "EMITRA_STRIPE_MAX_RETRIES": ("-1", "must not be negative"),
    "EMITRA_UPI_VPA": ("the society", "is not a UPI address"),
    **{name: ("abc", "must be a whole number, not 'abc'") for name in config.WHOLE_NUMBERS},
    "EMITRA_TODAY": ("2026-02-30", "is not a date (day is out of range for month)"),
    "EMITRA_NOW": ("2026-11-28T25:00", "is not a time"),
    "EMITRA_FAST_PASSWORD_HASH": ("yes", "must be 1"),
    "EMITRA_HOLIDAYS": ("2026-11-08, 2026-13-01", "'2026-13-01' is not a date: write each holiday as YYYY-MM-DD"),
    "EMITRA_RECONCILE_WORKER": ("sometimes", "must be auto (a large week's Stripe side in a process of its own), always or never"),
}
#: settings any value of which will do
FREE = {"EMITRA_PLUGINS", "EMITRA_STRIPE_API_KEY", "EMITRA_STRIPE_WEBHOOK_SECRET", "EMITRA_UPI_PAYEE", "EMITRA_UPI_WEBHOOK_SECRET"}


def test_every_setting_has_a_bad_value_here_or_takes_any():
    assert set(BAD) | FREE == set(config.SETTINGS) and not set(BAD) & FREE


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_setting_is_named_with_the_fix(name, monkeypatch, tmp_path):
    value, says = BAD[name]
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(name, value.format(tmp=tmp_path))
    with pytest.raises(config.SettingError) as refused:
        config.check()
    assert len(refused.value.problems) == 1
    problem = refused.value.problems[0]
    assert problem.startswith(name) and says in problem, problem
    assert ": " in problem.removeprefix(name)  # what is wrong, then what to do


def test_the_settings_of_the_docs_examples_pass(monkeypatch, tmp_path):
    good = {"EMITRA_PUBLIC_URL": "https://emitra.example.org", "EMITRA_SECURE_COOKIES": "1", "EMITRA_TIMEZONE": "Asia/Kolkata",
            "EMITRA_POLICY_DIR": str(tmp_path), "EMITRA_STRIPE_LSP_ACCOUNTS": "1=acct_1Nv0FGQ9RKHgCVdK", "EMITRA_STRIPE_TIMEOUT": "2.5",
            "EMITRA_UPI_VPA": "jaipur.emitra@sbi", "EMITRA_LOGIN_MAX_FAILURES": "5", "EMITRA_TODAY": "2026-11-28",
            "EMITRA_NOW": "2026-11-28T10:00", "EMITRA_SECRET_KEY": "x" * config.MIN_SECRET_KEY_CHARS,
            "EMITRA_DATABASE_URL": "postgresql://emitra:change-me@127.0.0.1:5432/emitra_jaipur?maxsize=10&sslmode=require"}
    for name, value in good.items():
        monkeypatch.setenv(name, value)
    config.check()


def test_the_holidays_are_dates_listed_or_a_file_whose_bad_line_is_named(monkeypatch, tmp_path):
    import datetime as dt

    monkeypatch.setenv("EMITRA_HOLIDAYS", "2026-11-08,2026-11-09 2026-11-24")
    assert config.holidays() == {dt.date(2026, 11, 8), dt.date(2026, 11, 9), dt.date(2026, 11, 24)}
    listed = tmp_path / "holidays.txt"
    listed.write_text("# Jaipur district, 2026\n2026-11-08 Diwali\n\n2026-11-24  Guru Nanak Jayanti\n", encoding="utf-8")
    monkeypatch.setenv("EMITRA_HOLIDAYS", str(listed))
    config.check()
    assert config.holidays() == {dt.date(2026, 11, 8), dt.date(2026, 11, 24)}
    listed.write_text("2026-11-08 Diwali\n8-11-2026 Govardhan Puja\n", encoding="utf-8")  # edited: read again
    with pytest.raises(config.SettingError) as refused:
        config.check()
    assert refused.value.problems == [f"EMITRA_HOLIDAYS: {listed}, line 2: '8-11-2026 Govardhan Puja' is not a date: "
                                      "write each holiday as YYYY-MM-DD (for example 2026-11-08)"]
    monkeypatch.setenv("EMITRA_HOLIDAYS", str(tmp_path / "missing.txt"))
    with pytest.raises(config.SettingError, match="the file cannot be read .*give the holidays' file"):
        config.check()
    monkeypatch.setenv("EMITRA_HOLIDAYS", "20261108")  # Python would read it; the setting asks for YYYY-MM-DD
    with pytest.raises(config.SettingError, match="'20261108' is not a date"):
        config.holidays()


def test_every_bad_setting_is_named_at_once(monkeypatch):
    monkeypatch.setenv("EMITRA_TODAY", "2026-02-30")
    monkeypatch.setenv("EMITRA_TIMEZONE", "Asia/Jaipur")
    with pytest.raises(config.SettingError) as refused:
        config.check()
    assert [p.split("=")[0] for p in refused.value.problems] == ["EMITRA_TIMEZONE", "EMITRA_TODAY"]


def test_the_app_refuses_to_be_built_with_a_bad_setting(monkeypatch):
    """uvicorn started directly (``uvicorn --factory emitra.web.app:create_app``): a setting read by
    each log-in used to let the server start and answer every log-in with a 500."""
    from emitra.web.app import create_app

    monkeypatch.setenv("EMITRA_LOGIN_MAX_FAILURES", "abc")
    with pytest.raises(config.SettingError, match="EMITRA_LOGIN_MAX_FAILURES must be a whole number"):
        create_app()
    monkeypatch.setenv("EMITRA_LOGIN_MAX_FAILURES", "5")
    monkeypatch.setenv("EMITRA_SECRET_KEY", "...")  # the docs' placeholder, copied as it is
    with pytest.raises(config.SettingError, match="EMITRA_SECRET_KEY is too short"):
        create_app()


def test_the_operators_correction_window_is_at_most_a_week(monkeypatch):
    """EMITRA_DAYEND_CORRECTION_HOURS (decision 166): hours after a day end's close its operator may
    still correct the count; longer than a week, the week's reconciliation would already have read it."""
    assert config.dayend_correction_hours() == 24
    monkeypatch.setenv("EMITRA_DAYEND_CORRECTION_HOURS", "168")
    config.check()
    assert config.dayend_correction_hours() == 168
    monkeypatch.setenv("EMITRA_DAYEND_CORRECTION_HOURS", "169")
    with pytest.raises(config.SettingError) as refused:
        config.check()
    assert refused.value.problems == ["EMITRA_DAYEND_CORRECTION_HOURS must be at most 168 (a week), not 169: correct it, "
                                      "or unset it for the default (24)"]
