"""Settings, read from the environment once per call (so tests and the CLI can change them)."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
import tempfile
from pathlib import Path

DEFAULT_DATA_DIR = Path("var")

#: the shortest ``EMITRA_SECRET_KEY`` accepted: it signs sessions and API tokens and keys the Aadhaar
#: hashes, so it must not be guessable (the generated one has 64 characters)
MIN_SECRET_KEY_CHARS = 32
MAKE_SECRET_KEY = 'python3 -c "import secrets; print(secrets.token_urlsafe(48))"'


class SettingError(ValueError):
    """Settings that cannot work. ``problems`` holds one line per bad setting: the variable, what is
    wrong with it, and the fix. The command line prints each as ``Error: ...`` (exit 2)."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


#: the data dir and its folders, and the files in them (the SQLite database, the scans): readable by
#: the owner and its group (a backup user), by no other local account (citizens' details and scans)
PRIVATE_DIR_MODE, PRIVATE_FILE_MODE = 0o750, 0o640


def data_dir() -> Path:
    path = Path(os.environ.get("EMITRA_DATA_DIR", DEFAULT_DATA_DIR))
    try:
        private_dir(path)
    except OSError as exc:
        raise SettingError(f"EMITRA_DATA_DIR: the folder {path} cannot be created ({exc.strerror or exc}): create it, "
                           f"or point EMITRA_DATA_DIR at a folder this user can write to") from None
    return path


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if missing; a folder created here is not readable by other accounts."""
    if not path.is_dir():
        if path.parent != path and not path.parent.exists():
            private_dir(path.parent)  # each folder made here is private, not only the last
        path.mkdir(exist_ok=True, mode=PRIVATE_DIR_MODE)
        path.chmod(PRIVATE_DIR_MODE)  # mkdir's mode is reduced by the umask; chmod is not
    return path


def private_file(path: str | Path) -> None:
    """Create an empty ``path`` that other accounts cannot read, unless it exists (``:memory:`` is left alone)."""
    if str(path) in ("", ":memory:") or str(path).startswith("file:"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    except FileNotFoundError:  # its folder does not exist yet: SQLite will say so
        return
    os.close(fd)
    os.chmod(path, PRIVATE_FILE_MODE)


def database_url() -> str:
    """``EMITRA_DATABASE_URL`` (postgres://user@host:port/db), else a SQLite file in the data dir."""
    url = os.environ.get("EMITRA_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite://{data_dir() / 'emitra.sqlite3'}"


def secret_key() -> str:
    """Signs session cookies and keys the Aadhaar hashes.

    ``EMITRA_SECRET_KEY`` in production. Without it, a random key is generated once and kept in
    the data dir (mode 0600), so sessions and hashes survive a restart of the demo. The file
    appears whole or not at all (written aside, then linked into place), so worker processes
    starting together all read the one key that won.
    """
    key = os.environ.get("EMITRA_SECRET_KEY", "").strip()
    if key:
        return key
    path = data_dir() / "secret.key"
    if not path.exists():
        fd, staged = tempfile.mkstemp(prefix=".secret.key.", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
            os.link(staged, path)  # fails if another process linked its key first: that one is read below
        except FileExistsError:
            pass
        finally:
            os.unlink(staged)
    return path.read_text().strip()


def timezone() -> str:
    return os.environ.get("EMITRA_TIMEZONE", "Asia/Kolkata")


def secure_cookies() -> bool:
    """Send the session cookie over HTTPS only: with EMITRA_SECURE_COOKIES=1, or when EMITRA_PUBLIC_URL
    is an https:// address (production behind TLS). EMITRA_SECURE_COOKIES=0 turns it off explicitly."""
    flag = os.environ.get("EMITRA_SECURE_COOKIES", "").strip()
    if flag in ("0", "1"):
        return flag == "1"
    return os.environ.get("EMITRA_PUBLIC_URL", "").strip().lower().startswith("https://")


def _int_env(name: str, default: int) -> int:
    """A positive whole number from the environment, or ``default``; a bad value names the variable."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {text!r}: correct it, or unset it for the default ({default})") from None
    if value < 1:
        raise SettingError(f"{name} must be 1 or more, not {value}: correct it, or unset it for the default ({default})")
    return value


#: the settings that are whole numbers of 1 or more, and their defaults
WHOLE_NUMBERS = {
    "EMITRA_LOGIN_MAX_FAILURES": 5, "EMITRA_LOGIN_MAX_FAILURES_USER": 20, "EMITRA_LOGIN_MAX_FAILURES_IP": 50,
    "EMITRA_LOGIN_WINDOW_MINUTES": 15, "EMITRA_LOGIN_LOCK_MINUTES": 15, "EMITRA_LOGIN_MAX_LOCK_MINUTES": 240,
    "EMITRA_SESSION_IDLE_MINUTES": 8 * 60, "EMITRA_SESSION_MAX_HOURS": 12, "EMITRA_MAX_REQUEST_MB": 12,
    "EMITRA_UPI_REFUND_DUE_DAYS": 3, "EMITRA_CITIZEN_LOOKUPS": 60, "EMITRA_CITIZEN_LOOKUP_WINDOW_MINUTES": 60,
    "EMITRA_CITIZEN_LOOKUPS_PER_DAY": 240, "EMITRA_GRIEVANCES_PER_MOBILE_HOUR": 5, "EMITRA_GRIEVANCES_PER_ADDRESS_HOUR": 100,
    "EMITRA_CITIZEN_CODES_PER_MOBILE_HOUR": 3, "EMITRA_CITIZEN_CODES_PER_ADDRESS_HOUR": 30, "EMITRA_CITIZEN_CODE_MINUTES": 10,
    "EMITRA_CITIZEN_CODE_MAX_FAILURES": 5, "EMITRA_CITIZEN_CODE_FAILURES_PER_DAY": 10,
    "EMITRA_LSP_MAX_UNIT_PRICE_RUPEES": 1000, "EMITRA_DAYEND_CORRECTION_HOURS": 24,
}


def _whole(name: str) -> int:
    return _int_env(name, WHOLE_NUMBERS[name])


def login_limits() -> dict[str, int]:
    """Brute-force protection of log-in (docs/security.md): failures allowed per username from one
    address, per username from all addresses, per client address, within a window of minutes; the
    first lock's length in minutes (it doubles at each further failure) and its cap."""
    return {
        "per_user_address": _whole("EMITRA_LOGIN_MAX_FAILURES"),
        "per_user": _whole("EMITRA_LOGIN_MAX_FAILURES_USER"),
        "per_address": _whole("EMITRA_LOGIN_MAX_FAILURES_IP"),
        "window_minutes": _whole("EMITRA_LOGIN_WINDOW_MINUTES"),
        "lock_minutes": _whole("EMITRA_LOGIN_LOCK_MINUTES"),
        "max_lock_minutes": _whole("EMITRA_LOGIN_MAX_LOCK_MINUTES"),
    }


def citizen_lookup_limits() -> dict[str, int]:
    """How many look-ups of citizens his counter has not served an operator may make (each record
    opened, each search that lists one), within a window of minutes, before he is refused
    (``EMITRA_CITIZEN_LOOKUPS``, default 60; ``EMITRA_CITIZEN_LOOKUP_WINDOW_MINUTES``, default 60;
    core/citizen_lookups.py, decision 87), and how many within 24 hours (``EMITRA_CITIZEN_LOOKUPS_PER_DAY``,
    default 240: a slow harvest under the first limit, all day long; decision 96)."""
    return {"lookups": _whole("EMITRA_CITIZEN_LOOKUPS"), "window_minutes": _whole("EMITRA_CITIZEN_LOOKUP_WINDOW_MINUTES"),
            "per_day": _whole("EMITRA_CITIZEN_LOOKUPS_PER_DAY")}


def grievance_limits() -> dict[str, int]:
    """How many online grievances one mobile number may file in an hour (``EMITRA_GRIEVANCES_PER_MOBILE_HOUR``,
    default 5), and how many may come from one client address (``EMITRA_GRIEVANCES_PER_ADDRESS_HOUR``,
    default 100: a mobile carrier puts thousands of its subscribers behind one public address;
    decision 103)."""
    return {"per_mobile": _whole("EMITRA_GRIEVANCES_PER_MOBILE_HOUR"), "per_address": _whole("EMITRA_GRIEVANCES_PER_ADDRESS_HOUR")}


def citizen_code_limits() -> dict[str, int]:
    """A citizen's sign-in by a code sent by SMS (core/citizen_login.py): codes sent per mobile number
    and per client address in an hour (``EMITRA_CITIZEN_CODES_PER_MOBILE_HOUR``, default 3;
    ``EMITRA_CITIZEN_CODES_PER_ADDRESS_HOUR``, default 30), how many minutes a code is good for
    (``EMITRA_CITIZEN_CODE_MINUTES``, default 10), and the wrong codes for one mobile before it locks
    (``EMITRA_CITIZEN_CODE_MAX_FAILURES``, default 5; the lock's length and the address's count are
    the log-in's, :func:`login_limits`), and the codes typed for one mobile in 24 hours without a
    right one (``EMITRA_CITIZEN_CODE_FAILURES_PER_DAY``, default 10; decision 143)."""
    return {"per_mobile": _whole("EMITRA_CITIZEN_CODES_PER_MOBILE_HOUR"), "per_address": _whole("EMITRA_CITIZEN_CODES_PER_ADDRESS_HOUR"),
            "minutes": _whole("EMITRA_CITIZEN_CODE_MINUTES"), "max_failures": _whole("EMITRA_CITIZEN_CODE_MAX_FAILURES"),
            "per_day": _whole("EMITRA_CITIZEN_CODE_FAILURES_PER_DAY")}


def session_idle_minutes() -> int:
    """A browser session unused this long ends (``EMITRA_SESSION_IDLE_MINUTES``, default 8 hours)."""
    return _whole("EMITRA_SESSION_IDLE_MINUTES")


def session_max_hours() -> int:
    """A browser session ends this long after log-in, used or not (``EMITRA_SESSION_MAX_HOURS``, default 12)."""
    return _whole("EMITRA_SESSION_MAX_HOURS")


def lsp_max_unit_price_paise() -> int:
    """The highest price per unit an LSP may publish for its own counter services (photocopy, fax,
    internet time), in paise: ``EMITRA_LSP_MAX_UNIT_PRICE_RUPEES`` whole rupees, default 1,000
    (core/lsp_prices.py, decision 145)."""
    return _whole("EMITRA_LSP_MAX_UNIT_PRICE_RUPEES") * 100


#: the longest ``EMITRA_DAYEND_CORRECTION_HOURS`` accepted: a week, the reconciliation's period (a
#: longer window would let the operator rewrite a count the week's reconciliation already read)
MAX_DAYEND_CORRECTION_HOURS = 7 * 24


def dayend_correction_hours() -> int:
    """How long after a day end's close its counter's operator may still correct its count
    (``EMITRA_DAYEND_CORRECTION_HOURS``, default 24, at most a week); after it only the district
    Society corrects it (core/dayend.correction_deadline, decision 166)."""
    hours = _whole("EMITRA_DAYEND_CORRECTION_HOURS")
    if hours > MAX_DAYEND_CORRECTION_HOURS:
        raise SettingError(f"EMITRA_DAYEND_CORRECTION_HOURS must be at most {MAX_DAYEND_CORRECTION_HOURS} (a week), not {hours}: "
                           f"correct it, or unset it for the default ({WHOLE_NUMBERS['EMITRA_DAYEND_CORRECTION_HOURS']})")
    return hours


#: the values of ``EMITRA_RECONCILE_WORKER``
RECONCILE_WORKER = ("auto", "always", "never")


def reconcile_worker() -> str:
    """Whether a reconciliation matches its Stripe side in a process of its own
    (``EMITRA_RECONCILE_WORKER``): ``auto`` (the default: a period of many Stripe lines,
    core/reconcile.WORKER_LINES), ``always``, or ``never`` (decision 153)."""
    value = os.environ.get("EMITRA_RECONCILE_WORKER", "").strip().lower() or "auto"
    if value not in RECONCILE_WORKER:
        raise SettingError(_reconcile_worker(value))
    return value


def _reconcile_worker(value: str) -> str | None:
    if value.strip().lower() in RECONCILE_WORKER:
        return None
    return (f"EMITRA_RECONCILE_WORKER={value!r} must be auto (a large week's Stripe side in a process of its own), "
            f"always or never: set it to one of them, or unset it for auto")


def upi_refund_due_days() -> int:
    """Working days (Monday to Saturday) a cancelled UPI booking's refund may stay owed to the citizen
    before the Society's list and ``emitra ledger check`` call it overdue (``EMITRA_UPI_REFUND_DUE_DAYS``,
    default 3; decision 75)."""
    return _whole("EMITRA_UPI_REFUND_DUE_DAYS")


def holidays() -> frozenset:
    """The state's public holidays (``EMITRA_HOLIDAYS``): dates on which every district Society's
    offices are closed besides Sundays, left out of the working days its deadlines count (an owed
    UPI refund's, decision 81); each district's own holidays are in its calendar (core/holidays.py,
    decision 109). The setting is a list of dates (``2026-11-08,2026-11-09``, commas or
    spaces between), or the path of a file with one date a line, each perhaps followed by the
    holiday's name; blank lines and lines starting with ``#`` are skipped. :class:`SettingError`
    names a line or entry that is not a date."""
    value = os.environ.get("EMITRA_HOLIDAYS", "").strip()
    if not value:
        return frozenset()
    if "/" in value or "\\" in value:
        try:
            stat = os.stat(value)
        except OSError as exc:
            raise SettingError(f"EMITRA_HOLIDAYS={value!r}: the file cannot be read ({exc.strerror}): give the holidays' file "
                               "(one YYYY-MM-DD date a line), or the dates themselves, or unset it") from None
        return _holidays_file(value, stat.st_mtime_ns, stat.st_size)
    return _holidays_listed(value)


@functools.lru_cache(maxsize=8)
def _holidays_listed(value: str) -> frozenset:
    out = set()
    for entry in value.replace(",", " ").split():
        out.add(_holiday(entry, f"EMITRA_HOLIDAYS: {entry!r}"))
    return frozenset(out)


@functools.lru_cache(maxsize=8)
def _holidays_file(path: str, _mtime_ns: int, _size: int) -> frozenset:
    """The dates of a holidays file (read again when it changes: its time and size are the key)."""
    out = set()
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingError(f"EMITRA_HOLIDAYS={path!r}: the file cannot be read ({exc}): save it as UTF-8 text, one date a line") from None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out.add(_holiday(line.split()[0].rstrip(","), f"EMITRA_HOLIDAYS: {path}, line {number}: {line[:40]!r}"))
    return frozenset(out)


def _holiday(text: str, where: str):
    """One holiday's date, written YYYY-MM-DD (only that: Python would also read 20261108)."""
    import datetime as dt
    import re

    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        with contextlib.suppress(ValueError):  # 2026-02-30
            return dt.date.fromisoformat(text)
    raise SettingError(f"{where} is not a date: write each holiday as YYYY-MM-DD (for example 2026-11-08)")


#: a namespace of service codes, as ``EMITRA_PLUGIN_NAMESPACES`` names one: ``gov.rj.jmc``, ``pvt.hp_gas``
_NAMESPACE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_NAMESPACE_EXAMPLE = "EMITRA_PLUGIN_NAMESPACES=jmc_trade=gov.rj.jmc,bharat_gas=pvt.hp_gas"


def plugin_namespaces() -> dict[str, frozenset[str]]:
    """The exceptions the Society allows to the rule that a plugin declares codes in its own
    namespace only (decision 150): plugin (entry-point name) -> the other namespaces it may use,
    from ``EMITRA_PLUGIN_NAMESPACES``, comma-separated ``plugin=namespace`` pairs (a plugin may be
    named more than once). A pair that is not so raises :class:`SettingError` naming it and the fix."""
    out: dict[str, set[str]] = {}
    for pair in os.environ.get("EMITRA_PLUGIN_NAMESPACES", "").split(","):
        if not pair.strip():
            continue
        plugin, _, namespace = (part.strip() for part in pair.partition("="))
        if not plugin or not _NAMESPACE.match(namespace):
            raise SettingError(f"EMITRA_PLUGIN_NAMESPACES: {pair.strip()!r} is not plugin=namespace; write the plugin's "
                               f"entry-point name, '=', and a namespace of at least two dotted lowercase parts, the codes "
                               f"it may declare beginning with it, e.g. {_NAMESPACE_EXAMPLE}")
        out.setdefault(plugin, set()).add(namespace)
    return {plugin: frozenset(namespaces) for plugin, namespaces in out.items()}


def max_request_bytes() -> int:
    """The largest posted page form, files included (``EMITRA_MAX_REQUEST_MB``, default 12 MB)."""
    return _whole("EMITRA_MAX_REQUEST_MB") * 1024 * 1024


# --- every setting checked at start-up ---------------------------------------------------------------
#
# A setting read only when it is first needed (a log-in, a card payment, a day end) would let a
# typo start the server and fail every such request with a 500. `check` reads each one now: the
# command line calls it before any command, the web app when it is built (`emitra serve`, or uvicorn
# started directly). SETTINGS is the list docs/operations.md's table documents (a test keeps the
# two, and the settings the code reads, the same).

def _database_url(value: str) -> str | None:
    from emitra.core import db

    try:
        db.check_url(value)
    except SettingError as exc:
        return str(exc)
    return None


def _data_dir(value: str) -> str | None:
    path = Path(value)
    if path.exists() and not path.is_dir():
        return f"EMITRA_DATA_DIR={value!r} is a file, not a folder: point it at a folder (it is created if missing)"
    return None


def _secret_key(value: str) -> str | None:
    if len(value) < MIN_SECRET_KEY_CHARS:  # never print the key itself, not even a short one
        return (f"EMITRA_SECRET_KEY is too short ({len(value)} characters; at least {MIN_SECRET_KEY_CHARS} random ones are "
                f"needed): make one with {MAKE_SECRET_KEY} (docs/security.md)")
    return None


def _public_url(value: str) -> str | None:
    from emitra.core.certificate_render import DEFAULT_PUBLIC_URL, public_base_url

    try:
        public_base_url()
    except ValueError as exc:
        return f"{exc}: correct it, or unset it for {DEFAULT_PUBLIC_URL}"
    return None


def _zero_or_one(name: str, meaning: str):
    def check(value: str) -> str | None:
        if value not in ("0", "1"):
            return f"{name}={value!r} must be 1 ({meaning}) or 0: set it to one of them, or unset it"
        return None

    return check


def _timezone(value: str) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"EMITRA_TIMEZONE={value!r} is not a time zone known here: give an IANA name such as Asia/Kolkata (India's), or unset it"
    return None


def _policy_dir(value: str) -> str | None:
    if not Path(value).is_dir():
        return f"EMITRA_POLICY_DIR={value!r} is not a folder: create it with the deployment's rules files (docs/policy.md), or unset it"
    return None


def _stripe(read):
    def check(value: str) -> str | None:
        from emitra.core import stripe_api

        try:
            read(stripe_api)
        except stripe_api.StripeConfigError as exc:
            return f"{exc}: correct it, or unset it (docs/payments.md)"
        return None

    return check


def _upi_vpa(value: str) -> str | None:
    from emitra.core.payment_methods import upi

    try:
        upi.vpa()
    except ValueError as exc:
        return f"{exc}: correct it, or unset it for the demo address"
    return None


def _whole_number(name: str):
    def check(value: str) -> str | None:
        try:
            _whole(name)
        except SettingError as exc:
            return str(exc)
        return None

    return check


def _date_or_time(name: str, parse, shape: str):
    def check(value: str) -> str | None:
        try:
            parse(value)
        except ValueError as exc:
            return (f"{name}={value!r} is not a {shape} ({exc}): write it as {'YYYY-MM-DD' if shape == 'date' else 'YYYY-MM-DDTHH:MM'}, "
                    f"or unset it (it fixes the clock, for demonstrations and tests only)")
        return None

    return check


def _read_by(read):
    """The check of a setting that ``read`` reads: the :class:`SettingError` it raises, said."""
    def check(value: str) -> str | None:
        try:
            read()
        except SettingError as exc:
            return str(exc)
        return None

    return check


def _checks() -> dict[str, object]:
    import datetime as dt

    return {
        "EMITRA_DATABASE_URL": _database_url,
        "EMITRA_DATA_DIR": _data_dir,
        "EMITRA_SECRET_KEY": _secret_key,
        "EMITRA_PUBLIC_URL": _public_url,
        "EMITRA_SECURE_COOKIES": _zero_or_one("EMITRA_SECURE_COOKIES", "the session cookie is sent over HTTPS only"),
        "EMITRA_TIMEZONE": _timezone,
        "EMITRA_PLUGINS": None,  # names: one not installed loads nothing, and is a refusal of the plugin host (core/plugins.py)
        "EMITRA_PLUGIN_NAMESPACES": _read_by(plugin_namespaces),
        "EMITRA_POLICY_DIR": _policy_dir,
        "EMITRA_STRIPE_API_KEY": None,
        "EMITRA_STRIPE_WEBHOOK_SECRET": None,
        "EMITRA_STRIPE_LSP_ACCOUNTS": _stripe(lambda s: s.parse_lsp_accounts(os.environ.get("EMITRA_STRIPE_LSP_ACCOUNTS", ""))),
        "EMITRA_STRIPE_API_BASE": _stripe(lambda s: s.api_base()),
        "EMITRA_STRIPE_TIMEOUT": _stripe(lambda s: s._number("EMITRA_STRIPE_TIMEOUT", 30.0, float)),
        "EMITRA_STRIPE_MAX_RETRIES": _stripe(lambda s: s._number("EMITRA_STRIPE_MAX_RETRIES", 2, int)),
        "EMITRA_UPI_VPA": _upi_vpa,
        "EMITRA_UPI_PAYEE": None,
        "EMITRA_UPI_WEBHOOK_SECRET": None,
        "EMITRA_HOLIDAYS": _read_by(holidays),
        "EMITRA_RECONCILE_WORKER": _reconcile_worker,
        **{name: _whole_number(name) for name in WHOLE_NUMBERS},
        "EMITRA_DAYEND_CORRECTION_HOURS": _read_by(dayend_correction_hours),  # a whole number of at most a week
        "EMITRA_TODAY": _date_or_time("EMITRA_TODAY", dt.date.fromisoformat, "date"),
        "EMITRA_NOW": _date_or_time("EMITRA_NOW", dt.datetime.fromisoformat, "time"),
        "EMITRA_FAST_PASSWORD_HASH": _zero_or_one("EMITRA_FAST_PASSWORD_HASH", "cheap password hashing, for tests and benchmarks only"),
    }


#: every setting emitra reads (docs/operations.md, "The settings"); None: any value will do
SETTINGS: tuple[str, ...] = tuple(_checks())


def check() -> None:
    """Check every setting that is set, now: :class:`SettingError` names each bad one with its fix."""
    problems = []
    for name, checker in _checks().items():
        value = os.environ.get(name, "").strip()
        if value and checker is not None:
            problem = checker(value)  # type: ignore[operator]
            if problem:
                problems.append(problem)
    if problems:
        raise SettingError(problems)
