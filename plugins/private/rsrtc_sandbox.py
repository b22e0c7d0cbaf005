"""A deterministic stand-in for the RSRTC (Rajasthan State Road Transport Corporation) booking system.

It answers what the real system answers (the timetable of a route, the fare per class, the seats
free on a departure, a booking and its PNR, a cancellation and its refund) without leaving this
machine:

- every pair of the eight stops is a route; each route has a fixed timetable of departures, the
  same every day (minutes shifted per route so routes differ), each departure of one class;
- the fare is a rate per kilometre of the class times the road distance, in whole rupees;
- every bus has :data:`CAPACITY` seats; how many are already sold on a departure of a given date
  is derived from a hash of (route, date, departure), so some departures are sold out and some
  nearly full, the same way every time;
- the bookings this sandbox makes are kept in its memory: booking reduces the seats free within
  the process, cancelling frees them again.

"Now" is the counters' clock (``kit.now()``: India time, and ``EMITRA_TODAY`` / ``EMITRA_NOW``
when set), never the server's, which may run in UTC; ``today`` and ``time_of_day``, None unless a
test sets them, fix the date and the time of day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from emitra.core import kit
from emitra.core.text import noun_hi

CAPACITY = 40
#: how far ahead a seat may be booked (the advance reservation period)
BOOKING_WINDOW_DAYS = 60

# stop code -> (English, Hindi)
STOPS: dict[str, tuple[str, str]] = {
    "jaipur": ("Jaipur", "जयपुर"),
    "ajmer": ("Ajmer", "अजमेर"),
    "jodhpur": ("Jodhpur", "जोधपुर"),
    "udaipur": ("Udaipur", "उदयपुर"),
    "kota": ("Kota", "कोटा"),
    "bikaner": ("Bikaner", "बीकानेर"),
    "sikar": ("Sikar", "सीकर"),
    "alwar": ("Alwar", "अलवर"),
}

# class code -> (English, Hindi, fare in paise per km)
CLASSES: dict[str, tuple[str, str, int]] = {
    "ordinary": ("Ordinary", "साधारण", 110),
    "express": ("Express", "एक्सप्रेस", 135),
    "deluxe": ("Deluxe", "डीलक्स", 175),
    "volvo": ("Volvo AC", "वोल्वो एसी", 260),
}

#: a Volvo AC bus runs only on routes at least this long
VOLVO_MIN_KM = 250

# road distance in km between two stops (either direction)
_KM: dict[frozenset[str], int] = {
    frozenset(pair): km
    for pair, km in {
        ("jaipur", "ajmer"): 135, ("jaipur", "jodhpur"): 335, ("jaipur", "udaipur"): 395, ("jaipur", "kota"): 250,
        ("jaipur", "bikaner"): 335, ("jaipur", "sikar"): 115, ("jaipur", "alwar"): 150, ("ajmer", "jodhpur"): 200,
        ("ajmer", "udaipur"): 265, ("ajmer", "kota"): 200, ("ajmer", "bikaner"): 260, ("ajmer", "sikar"): 170,
        ("ajmer", "alwar"): 280, ("jodhpur", "udaipur"): 250, ("jodhpur", "kota"): 440, ("jodhpur", "bikaner"): 250,
        ("jodhpur", "sikar"): 300, ("jodhpur", "alwar"): 480, ("udaipur", "kota"): 280, ("udaipur", "bikaner"): 500,
        ("udaipur", "sikar"): 450, ("udaipur", "alwar"): 545, ("kota", "bikaner"): 500, ("kota", "sikar"): 360,
        ("kota", "alwar"): 390, ("bikaner", "sikar"): 220, ("bikaner", "alwar"): 450, ("sikar", "alwar"): 195,
    }.items()
}

# the daily timetable of every route, before its per-route shift: (departure, class)
_SLOTS: list[tuple[str, str]] = [
    ("06:00", "ordinary"), ("07:30", "express"), ("10:00", "deluxe"), ("13:00", "ordinary"),
    ("16:00", "express"), ("21:30", "deluxe"), ("23:00", "volvo"),
]


_PNR = re.compile(r"^RS(?P<date>\d{6})(?P<time>\d{4})\d{4}$")


class RsrtcError(LookupError):
    """Refused by RSRTC; ``field`` is the form field at fault, ``en``/``hi`` say why."""

    def __init__(self, field_name: str, en: str, hi: str):
        super().__init__(f"{field_name}: {en}")
        self.field = field_name
        self.en = en
        self.hi = hi


@dataclass(frozen=True)
class Departure:
    origin: str
    destination: str
    time: str  # HH:MM
    service_class: str
    km: int
    fare_paise: int  # per seat

    @property
    def route(self) -> str:
        return f"{STOPS[self.origin][0]} – {STOPS[self.destination][0]}"

    @property
    def route_hi(self) -> str:
        return f"{STOPS[self.origin][1]} – {STOPS[self.destination][1]}"


@dataclass
class Booking:
    pnr: str
    our_reference: str
    departure: Departure
    journey_date: dt.date
    seat_numbers: list[int]
    fare_paise: int  # per seat
    total_paise: int  # what was paid to RSRTC
    cancelled: bool = False
    refund_paise: int = 0


@dataclass(frozen=True)
class Offer:
    """What a booking would be: the departure, the seats it would get and its PNR."""

    departure: Departure
    journey_date: dt.date
    seat_numbers: list[int]
    pnr: str
    free_before: int

    @property
    def principal_paise(self) -> int:
        return self.departure.fare_paise * len(self.seat_numbers)


def _digest(*parts: object) -> int:
    return kit.stable_int(*parts, sep="|", hex_digits=16)


def distance_km(origin: str, destination: str) -> int:
    return _KM[frozenset((origin, destination))]


def timetable(origin: str, destination: str) -> list[Departure]:
    """Every departure of the route, by time; the same every day."""
    if origin not in STOPS or destination not in STOPS or origin == destination:
        return []
    km = distance_km(origin, destination)
    shift = (_digest("shift", origin, destination) % 6) * 5  # 0..25 minutes
    out = []
    for time, klass in _SLOTS:
        if klass == "volvo" and km < VOLVO_MIN_KM:
            continue
        hh, mm = map(int, time.split(":"))
        minutes = hh * 60 + mm + shift
        fare = km * CLASSES[klass][2] // 100 * 100  # whole rupees
        out.append(Departure(origin, destination, f"{minutes // 60:02d}:{minutes % 60:02d}", klass, km, fare))
    return out


def presold(departure: Departure, journey_date: dt.date) -> int:
    """Seats sold before this sandbox booked anything: some buses sold out, some nearly full."""
    h = _digest("sold", departure.origin, departure.destination, journey_date.isoformat(), departure.time)
    r = h % 100
    if r < 12:
        return CAPACITY  # sold out
    if r < 25:
        return CAPACITY - 1 - (h // 100) % 3  # 1 to 3 seats left
    return (h // 100) % 31  # 0 to 30 sold


class RsrtcSandbox:
    def __init__(self, today: dt.date | None = None, time_of_day: dt.time | None = None):
        self.today = today  # None: the counters' date (kit.today()), read at every call
        self.time_of_day = time_of_day  # None: the counters' time of day
        self.bookings: dict[str, Booking] = {}  # PNR -> booking
        self._by_reference: dict[str, str] = {}  # our reference -> PNR
        self._serial: dict[tuple[str, str, str, str], int] = {}  # bookings ever made per departure

    def reset(self) -> None:
        """Forget every booking (tests)."""
        self.bookings.clear()
        self._by_reference.clear()
        self._serial.clear()

    def now(self) -> dt.datetime:
        """The counters' wall clock (naive, local time, as the timetable is), or the date and time a test fixed."""
        real = kit.now().replace(tzinfo=None, microsecond=0)
        return dt.datetime.combine(self.today or real.date(), self.time_of_day or real.time())

    @staticmethod
    def _key(dep: Departure, journey_date: dt.date) -> tuple[str, str, str, str]:
        return (dep.origin, dep.destination, journey_date.isoformat(), dep.time)

    def _taken(self, dep: Departure, journey_date: dt.date) -> set[int]:
        key = self._key(dep, journey_date)
        taken = set(range(1, presold(dep, journey_date) + 1))
        for b in self.bookings.values():
            if not b.cancelled and self._key(b.departure, b.journey_date) == key:
                taken.update(b.seat_numbers)
        return taken

    def seats_free(self, dep: Departure, journey_date: dt.date) -> int:
        return CAPACITY - len(self._taken(dep, journey_date))

    def departures(self, origin: str, destination: str, journey_date: dt.date) -> list[tuple[Departure, int]]:
        """(departure, seats free) of every departure of the route on that date."""
        return [(d, self.seats_free(d, journey_date)) for d in timetable(origin, destination)]

    def _pnr(self, dep: Departure, journey_date: dt.date, seats: list[int]) -> str:
        serial = self._serial.get(self._key(dep, journey_date), 0)
        h = _digest("pnr", dep.origin, dep.destination, journey_date.isoformat(), dep.time, seats, serial)
        return f"RS{journey_date:%y%m%d}{dep.time.replace(':', '')}{h % 10000:04d}"

    def offer(self, origin: str, destination: str, journey_date: dt.date, service_class: str, seats: int,
              departure_time: str | None = None) -> Offer:
        """The departure and seats a booking would get; :class:`RsrtcError` if none can be had."""
        o_en, o_hi = STOPS[origin][0], STOPS[origin][1]
        d_en, d_hi = STOPS[destination][0], STOPS[destination][1]
        c_en, c_hi = CLASSES[service_class][0], CLASSES[service_class][1]
        if origin == destination:
            raise RsrtcError("to", "The destination must differ from the boarding stop.", "गंतव्य और चढ़ने का स्थान अलग होने चाहिए।")
        now = self.now()
        if journey_date < now.date():
            raise RsrtcError("journey_date", f"The journey date {journey_date:%d-%m-%Y} is in the past.",
                             f"यात्रा तिथि {journey_date:%d-%m-%Y} बीत चुकी है।")
        last = now.date() + dt.timedelta(days=BOOKING_WINDOW_DAYS)
        if journey_date > last:
            raise RsrtcError("journey_date", f"Seats can be booked at most {BOOKING_WINDOW_DAYS} days ahead (until {last:%d-%m-%Y}).",
                             f"सीटें अधिकतम {BOOKING_WINDOW_DAYS} दिन पहले तक ({last:%d-%m-%Y} तक) बुक हो सकती हैं।")
        of_class = [d for d in timetable(origin, destination) if d.service_class == service_class]
        if not of_class:
            raise RsrtcError("service_class", f"No {c_en} bus runs from {o_en} to {d_en}; choose another class.",
                             f"{o_hi} से {d_hi} तक कोई {c_hi} बस नहीं चलती; कोई अन्य श्रेणी चुनें।")
        if journey_date == now.date():
            of_class = [d for d in of_class if d.time > now.strftime("%H:%M")]
            if not of_class:
                raise RsrtcError("journey_date", f"Every {c_en} bus from {o_en} to {d_en} has left today; choose a later date.",
                                 f"आज {o_hi} से {d_hi} की सभी {c_hi} बसें जा चुकी हैं; आगे की तिथि चुनें।")
        if departure_time:
            chosen = [d for d in of_class if d.time == departure_time]
            if not chosen:
                times = ", ".join(d.time for d in of_class)
                raise RsrtcError("departure", f"No {c_en} bus leaves {o_en} for {d_en} at {departure_time}; departures: {times}.",
                                 f"{departure_time} बजे {o_hi} से {d_hi} के लिए कोई {c_hi} बस नहीं है; प्रस्थान: {times}।")
            of_class = chosen
        free = {d.time: self.seats_free(d, journey_date) for d in of_class}
        dep = next((d for d in of_class if free[d.time] >= seats), None)
        if dep is None:
            if len(of_class) == 1:
                n, t = free[of_class[0].time], of_class[0].time
                free_en = "No seat is" if n == 0 else "Only 1 seat is" if n == 1 else f"Only {n} seats are"
                free_hi = "कोई सीट खाली नहीं है" if n == 0 else f"केवल {n} {noun_hi(n, 'सीट खाली है', 'सीटें खाली हैं')}"
                en = f"{free_en} free on the {t} {c_en} bus from {o_en} to {d_en} on {journey_date:%d-%m-%Y}; {seats} asked."
                hi = f"{journey_date:%d-%m-%Y} को {o_hi} से {d_hi} की {t} बजे की {c_hi} बस में {free_hi}; {seats} {noun_hi(seats, 'माँगी गई', 'माँगी गईं')}।"
            else:
                each = ", ".join(f"{t}: {n}" for t, n in free.items())
                en = f"Not enough free seats on any {c_en} bus from {o_en} to {d_en} on {journey_date:%d-%m-%Y} (seats free – {each}); {seats} asked."
                hi = f"{journey_date:%d-%m-%Y} को {o_hi} से {d_hi} की किसी {c_hi} बस में पर्याप्त सीटें खाली नहीं हैं (खाली सीटें – {each}); {seats} {noun_hi(seats, 'माँगी गई', 'माँगी गईं')}।"
            raise RsrtcError("seats", en, hi)
        taken = self._taken(dep, journey_date)
        numbers = [n for n in range(1, CAPACITY + 1) if n not in taken][:seats]
        return Offer(dep, journey_date, numbers, self._pnr(dep, journey_date, numbers), free[dep.time])

    def book(self, origin: str, destination: str, journey_date: dt.date, service_class: str, seats: int,
             departure_time: str | None, our_reference: str) -> Booking:
        """Book the seats; the same ``our_reference`` always gets the same booking."""
        if our_reference in self._by_reference:
            return self.bookings[self._by_reference[our_reference]]
        offer = self.offer(origin, destination, journey_date, service_class, seats, departure_time)
        booking = Booking(offer.pnr, our_reference, offer.departure, journey_date, offer.seat_numbers,
                          offer.departure.fare_paise, offer.principal_paise)
        key = self._key(offer.departure, journey_date)
        self._serial[key] = self._serial.get(key, 0) + 1
        self.bookings[booking.pnr] = booking
        self._by_reference[our_reference] = booking.pnr
        return booking

    @staticmethod
    def refund_for(paid_paise: int, departs: dt.datetime, now: dt.datetime) -> int:
        """More than 24 hours before departure: the fare less 10%; within 24 hours: half; after: nothing."""
        if now >= departs:
            return 0
        if departs - now > dt.timedelta(hours=24):
            return paid_paise - paid_paise * 10 // 100
        return paid_paise // 2

    def _find(self, pnr: str, paid_paise: int) -> Booking:
        booking = self.bookings.get(pnr) or self._issued_earlier(pnr, paid_paise)
        if booking is None:
            raise RsrtcError("receipt_no", f"RSRTC has no booking with PNR {pnr}.", f"आरएसआरटीसी में पीएनआर {pnr} की कोई बुकिंग नहीं है।")
        return booking

    def _refund_now(self, booking: Booking, paid_paise: int) -> int:
        hh, mm = map(int, booking.departure.time.split(":"))
        departs = dt.datetime.combine(booking.journey_date, dt.time(hh, mm))
        return self.refund_for(min(paid_paise, booking.total_paise), departs, self.now())

    def refund_quote(self, pnr: str, paid_paise: int) -> int:
        """What cancelling the booking now would refund, without cancelling it (for a booking
        already cancelled: what its cancellation refunded)."""
        booking = self._find(pnr, paid_paise)
        return booking.refund_paise if booking.cancelled else self._refund_now(booking, paid_paise)

    def cancel(self, pnr: str, paid_paise: int) -> Booking:
        """Cancel a booking and free its seats; the booking says what is refunded.

        Cancelling a booking already cancelled answers that cancellation again (its refund, its
        seats), as the real system does for a repeated request: a counter whose first try was
        cancelled here but not recorded on its side completes it by asking again."""
        booking = self._find(pnr, paid_paise)
        if booking.cancelled:
            return booking
        booking.refund_paise = self._refund_now(booking, paid_paise)
        booking.cancelled = True
        return booking

    def _issued_earlier(self, pnr: str, paid_paise: int) -> Booking | None:
        """A PNR issued before this process started (the sandbox keeps bookings in memory only):
        its date and departure time are read from the PNR itself; it has no seats to free."""
        match = _PNR.match(pnr)
        if not match:
            return None
        try:
            day = dt.datetime.strptime(match["date"], "%y%m%d").date()
            time = dt.datetime.strptime(match["time"], "%H%M").strftime("%H:%M")
        except ValueError:
            return None
        dep = Departure("", "", time, "", 0, paid_paise)
        booking = Booking(pnr, "", dep, day, [], paid_paise, paid_paise)
        self.bookings[pnr] = booking
        return booking

    def cancellation_reference(self, pnr: str) -> str:
        return f"RSCAN-{_digest('cancel', pnr) % 10**8:08d}"
