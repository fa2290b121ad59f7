"""Pull what renters volunteer (move-in date, budget, occupants, pets, lease length, work) out of text.

Pure functions over folded text. Only what the renter says is extracted; the bot never
asks about employment, vouchers or household make-up (fair housing), it only remembers
what was offered so later replies need not ask again.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTHS_ES = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}  # fmt: skip
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")  # fmt: skip
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_ES_RE = "|".join(sorted(_MONTHS_ES, key=len, reverse=True))
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "twelve": 12, "eighteen": 18, "a": 1,
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "doce": 12, "dieciocho": 18,
}  # fmt: skip

_MOVE_CONTEXT = re.compile(
    r"\b(?:move|moving|mov(?:e|ing) in|start|from|by|around|beginning|starting|need (?:it|a place)|looking for)\b"
)
_DATE_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b")
_DATE_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b")
_DATE_NUMERIC = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b")
_DATE_ISO = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
_MONTH_ONLY = re.compile(rf"\b(?:in|by|early|mid|late|end of|beginning of|start of)\s+({_MONTH_RE})\b")
_ASAP = re.compile(r"\b(?:asap|as soon as possible|immediately|right away|right now|this week|next week|next month)\b")
# Spanish: "el 15 de marzo", "a principios de marzo", "lo antes posible".
_DATE_ES = re.compile(rf"\b(\d{{1,2}})\s+de\s+({_MONTH_ES_RE})\b")
_MONTH_ONLY_ES = re.compile(
    rf"\b(?:en|para|desde|a partir de|principios de|mediados de|finales de|fines de)\s+({_MONTH_ES_RE})\b"
)
_ASAP_ES = re.compile(
    r"\b(?:lo antes posible|cuanto antes|de inmediato|inmediatamente|ya mismo|esta semana|la proxima semana|el proximo mes|el mes que viene)\b"
)
_MOVE_CONTEXT_ES = re.compile(r"\b(?:mud\w+|entrar|desde|para|a partir|necesit\w+|busc\w+)\b")

_BUDGET = re.compile(
    r"\b(?:budget|afford|max(?:imum)?|up to|under|no more than|spend|range)\b[^$\d]{0,20}\$?\s?(\d{1,2}[,.]?\d{3}|\d{3,5})(?:\s?k\b)?"
)
_BUDGET_ES = re.compile(
    r"\b(?:presupuesto|maximo|hasta|no mas de|puedo pagar|podemos pagar)\b[^$\d]{0,20}\$?\s?(\d{1,2}[,.]?\d{3}|\d{3,5})"
)
_BUDGET_K = re.compile(r"\b(?:budget|afford|max(?:imum)?|up to|under)\b[^$\d]{0,20}\$?(\d(?:\.\d)?)\s?k\b")
_OCCUPANTS = re.compile(
    r"\b(?:(\d|one|two|three|four|five|six) (?:people|persons|adults|occupants|of us|tenants|roommates)"
    r"|family of (\d|three|four|five|six)|(just me|only me|myself only|me and my (?:partner|wife|husband|girlfriend|boyfriend|friend|sister|brother|son|daughter)))\b"
)
_PETS = re.compile(
    r"\b(?:i have|we have|i've got|we've got|i own|we own|with|bringing|my)\s+(?:an?\s+|one\s+|two\s+|2\s+|3\s+|three\s+)?"
    r"((?:small |big |large |senior |old |little |indoor |sweet |friendly |\d+ ?(?:lb|pound)s? )*(?:dogs?|cats?|puppy|puppies|kittens?|birds?|rabbits?|bunny|hamsters?|fish|parrots?|lizards?|snakes?|turtles?))\b"
)
_NO_PETS = re.compile(
    r"\b(?:no pets|don'?t have (?:any )?pets|without pets|pet[- ]free|no (?:tengo|tenemos) mascotas|sin mascotas)\b"
)
_PETS_ES = re.compile(
    r"\b(?:tengo|tenemos|con|traigo|traeria|mi|mis)\s+(?:un\s+|una\s+|dos\s+|2\s+|3\s+|tres\s+)?"
    r"((?:perr(?:o|a|os|as|ito|ita|itos)|gat(?:o|a|os|as|ito|ita|itos)|conejos?|pajaros?|peces|hamsters?|tortugas?)"
    r"(?: (?:pequen[oa]s?|grandes?|chiquit[oa]s?|medianos?))?)\b"
)
_LEASE = re.compile(
    r"\b(\d{1,2}|six|twelve|eighteen|one|a)[- ]?(?:\s)?(month|year|yr|mo)s?\b(?:[- ]long)?(?:\s+(?:lease|term|stay|contract))?"
)
_LEASE_CONTEXT = re.compile(
    r"\b(?:lease|term|stay|contract|rent (?:it )?for|looking for|need it for|staying|contrato|plazo|por|rentar|quedarme|quedarnos)\b"
)
_LEASE_ES = re.compile(r"\b(\d{1,2}|seis|doce|dieciocho|un|uno|dos|tres)\s+(mes|meses|ano|anos)\b")
_EMPLOYMENT = re.compile(
    r"\b(?:i(?:'m| am) (?:a|an) ((?:travel(?:ing)? )?(?:nurse|teacher|student|engineer|doctor|developer|software engineer|accountant|designer|resident|professor|consultant|lawyer|chef|grad student|phd student))"
    r"|i work (?:as|at|for|in) ([a-z][a-z &'.-]{2,40}?)(?=[,.!?;]|\s+and\b|$)"
    r"|(?:employed|working) (?:at|by|for) ([a-z][a-z &'.-]{2,40}?)(?=[,.!?;]|\s+and\b|$))"
)
_VOUCHER = re.compile(r"\b(section ?8|housing choice voucher|hcv|cityfheps|fheps|hasa|voucher)\b")


def _year_for(month: int, day: int, today: dt.date) -> dt.date | None:
    try:
        candidate = dt.date(today.year, month, day)
    except ValueError:
        return None
    if candidate < today - dt.timedelta(days=31):
        try:
            candidate = dt.date(today.year + 1, month, day)
        except ValueError:
            return None
    return candidate


def parse_move_in(text: str, today: dt.date) -> str:
    """Return an ISO date (or 'asap' / a month name) the renter wants to move in, or ''."""
    if (found := _DATE_ISO.search(text)) is not None:
        return found.group()
    for pattern, month_group, day_group in ((_DATE_MONTH_DAY, 1, 2), (_DATE_DAY_MONTH, 2, 1)):
        for found in pattern.finditer(text):
            if found.group(month_group) == "may" and not re.search(r"\bmay\s+\d", found.group()):
                continue
            date = _year_for(_MONTHS[found.group(month_group)], int(found.group(day_group)), today)
            if date:
                return date.isoformat()
    for found in _DATE_NUMERIC.finditer(text):
        month, day = int(found.group(1)), int(found.group(2))
        if (
            1 <= month <= 12
            and 1 <= day <= 31
            and _MOVE_CONTEXT.search(text[max(0, found.start() - 40) : found.start()])
        ):
            date = _year_for(month, day, today)
            if date:
                return date.isoformat()
    for found in _DATE_ES.finditer(text):
        date = _year_for(_MONTHS_ES[found.group(2)], int(found.group(1)), today)
        if date:
            return date.isoformat()
    if (found := _MONTH_ONLY.search(text)) is not None and found.group(1) != "may":
        return found.group(1).capitalize()
    if (found := _MONTH_ONLY_ES.search(text)) is not None:
        return _MONTH_NAMES[_MONTHS_ES[found.group(1)] - 1]
    if (found := _ASAP_ES.search(text)) is not None and _MOVE_CONTEXT_ES.search(text):
        return found.group()
    if (found := _ASAP.search(text)) is not None and _MOVE_CONTEXT.search(text):
        return found.group()
    return ""


def parse_budget(text: str) -> int | None:
    """Return the monthly budget the renter names, in whole dollars, or None."""
    if (found := _BUDGET_K.search(text)) is not None:
        return int(float(found.group(1)) * 1000)
    if (found := _BUDGET.search(text) or _BUDGET_ES.search(text)) is not None:
        value = int(re.sub(r"\D", "", found.group(1)))
        if 300 <= value <= 50000:
            return value
    return None


_OCCUPANTS_ES = re.compile(
    r"\b(?:somos (\d|dos|tres|cuatro|cinco|seis)\b|(\d|dos|tres|cuatro|cinco|seis) (?:personas|adultos|inquilinos)"
    r"|familia de (\d|tres|cuatro|cinco|seis)|(solo yo|nada mas yo|yo sol[oa]|mi (?:pareja|esposa|esposo|novia|novio|amig[oa]|herman[oa]) y yo))\b"
)


def _parse_occupants_es(text: str) -> int | None:
    found = _OCCUPANTS_ES.search(text)
    if found is None:
        return None
    if found.group(4):
        return 1 if found.group(4) in {"solo yo", "nada mas yo", "yo solo", "yo sola"} else 2
    raw = found.group(1) or found.group(2) or found.group(3)
    return int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw)


def parse_occupants(text: str) -> int | None:
    """Return how many people would live there, when the renter says so (in English or Spanish)."""
    found = _OCCUPANTS.search(text)
    if found is None:
        return _parse_occupants_es(text)
    if found.group(3):
        return 1 if found.group(3) in {"just me", "only me", "myself only"} else 2
    raw = found.group(1) or found.group(2)
    return int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw)


def parse_lease_months(text: str) -> int | None:
    """Return the lease length in months the renter wants, when stated near a lease word (English or Spanish)."""
    for found in [*_LEASE.finditer(text), *_LEASE_ES.finditer(text)]:
        window = text[max(0, found.start() - 40) : found.end() + 20]
        if not _LEASE_CONTEXT.search(window):
            continue
        raw, unit = found.group(1), found.group(2)
        number = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw, 0)
        months = number * 12 if unit in {"year", "yr", "ano", "anos"} else number
        if 1 <= months <= 60:
            return months
    return None


def extract_profile(text: str, *, today: dt.date) -> dict[str, Any]:
    """Return the lead-profile facts found in one folded message (only keys that were found)."""
    found: dict[str, Any] = {}
    if move_in := parse_move_in(text, today):
        found["move_in_date"] = move_in
    if (budget := parse_budget(text)) is not None:
        found["budget"] = budget
    if (occupants := parse_occupants(text)) is not None:
        found["occupants"] = occupants
    if _NO_PETS.search(text):
        found["pets"] = "none"
    elif pets := sorted({m.group(1).strip() for pattern in (_PETS, _PETS_ES) for m in pattern.finditer(text)}):
        found["pets"] = ", ".join(pets)
    if (lease := parse_lease_months(text)) is not None:
        found["lease_months"] = lease
    if (job := _EMPLOYMENT.search(text)) is not None:
        found["employment"] = next(g for g in job.groups() if g).strip()
    if (voucher := _VOUCHER.search(text)) is not None:
        found["voucher"] = voucher.group(1)
    return found


# --- picking an offered slot ------------------------------------------------------------
_ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4,
    "last": -1,
}  # fmt: skip
_ORDINALS_ES = {
    "primera": 0, "primero": 0, "primer": 0, "segunda": 1, "segundo": 1, "tercera": 2, "tercero": 2, "tercer": 2,
    "cuarta": 3, "quinta": 4, "quinto": 4, "ultima": -1, "ultimo": -1,
}  # fmt: skip
_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3, "thur": 3,
    "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
    "lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5, "domingo": 6,
}  # fmt: skip
_PICK_NUMBER = re.compile(
    r"(?:^|\b(?:option|slot|number|no\.?|choice|#)\s*)#?([1-9])\b|^\s*#?([1-9])\s*[.)!]?\s*(?:please|pls|works|is good|is fine)?\s*[.!]*$"
)
_PICK_ORDINAL = re.compile(
    rf"\b(?:the\s+)?({'|'.join(_ORDINALS)})\s+(?:one|slot|time|option|choice|works|is good|please)\b|\b(?:the\s+)?({'|'.join(_ORDINALS)})\s*[.!]*$"
)
_PICK_NUMBER_ES = re.compile(
    r"\b(?:opcion|numero|horario|el|la|con el|con la)\s*#?([1-9])\b(?!\s*(?:de\b|pm|am|:|\.\d|personas|meses))"
)
_PICK_ORDINAL_ES = re.compile(
    rf"\b(?:la|el)\s+({'|'.join(_ORDINALS_ES)})\b(?!\s+(?:de|piso|mes|semana))|^\W*({'|'.join(_ORDINALS_ES)})\W*$"
)
# Spanish times read as English ones: "a las 3" -> "3:00", "3 de la tarde" -> "3pm", "10 de la manana" -> "10am".
_ES_TIME_OF_DAY = re.compile(r"\b(\d{1,2})(?::(\d\d))?\s*(?:de la|en la|por la)\s+(manana|tarde|noche)\b")
_ES_AT = re.compile(r"\ba las (\d{1,2})\b(?!:)")


def _english_times(text: str) -> str:
    """Rewrite Spanish times so the time reader below understands them."""

    def of_day(found: re.Match[str]) -> str:
        meridiem = "am" if found.group(3) == "manana" else "pm"
        return f"{found.group(1)}:{found.group(2) or '00'}{meridiem}"

    text = _ES_TIME_OF_DAY.sub(of_day, text)
    return _ES_AT.sub(lambda found: f"a las {found.group(1)}:00", text)


_TIME = re.compile(r"\b(\d{1,2})(?::(\d\d))?\s*(am|pm|a\.m\.|p\.m\.)?(?=\W|$)")
_WEEKDAY_RE = re.compile(rf"\b({'|'.join(sorted(_WEEKDAYS, key=len, reverse=True))})\b")
AFFIRM = re.compile(
    r"\b(?:works for me|that works|sounds good|sounds great|perfect|ok(?:ay)?|yes|yep|sure|book (?:me|it)|i'?ll take|let'?s do|see you then|i can do|i can make|count me in|confirm)\b"
    r"|\b(?:me sirve|me queda bien|me funciona|me parece bien|perfecto|de acuerdo|vale|si|reservame|apartame|esta bien|confirmo|me quedo con)\b"
)


def _slot_local(slot: dict[str, Any]) -> dt.datetime:
    """Return a slot's wall-clock start; an offer stored without ``local_start`` is read in its own zone."""
    if slot.get("local_start"):
        return dt.datetime.fromisoformat(slot["local_start"])
    start = dt.datetime.fromisoformat(slot["start"])
    zone = slot.get("timezone")
    return start.astimezone(ZoneInfo(zone)) if zone else start


def _slot_local_or_none(slot: dict[str, Any]) -> dt.datetime | None:
    try:
        return _slot_local(slot)
    except (KeyError, TypeError, ValueError):
        return None


def pick_offered_slot(text: str, offered: tuple[dict[str, Any], ...]) -> tuple[int | None, bool]:
    """Return (index of the offered slot the renter picked, whether the text reads as a pick at all)."""
    if not offered:
        return None, False
    text = _english_times(text)
    number = _PICK_NUMBER.search(text)
    if number:
        index = int(number.group(1) or number.group(2)) - 1
        if 0 <= index < len(offered):
            return index, True
    if (number_es := _PICK_NUMBER_ES.search(text)) is not None:
        index = int(number_es.group(1)) - 1
        if 0 <= index < len(offered):
            return index, True
    ordinal = _PICK_ORDINAL.search(text)
    ordinal_es = _PICK_ORDINAL_ES.search(text)
    if ordinal or ordinal_es:
        if ordinal:
            index = _ORDINALS[ordinal.group(1) or ordinal.group(2)]
        else:
            assert ordinal_es is not None  # noqa: S101 - one of the two matched.
            index = _ORDINALS_ES[ordinal_es.group(1) or ordinal_es.group(2)]
        index = len(offered) - 1 if index == -1 else index
        if 0 <= index < len(offered):
            return index, True
    weekday = _WEEKDAY_RE.search(text)
    times = []
    for found in _TIME.finditer(text):
        hour, minute, meridiem = int(found.group(1)), int(found.group(2) or 0), (found.group(3) or "").replace(".", "")
        if not (meridiem or found.group(2)) or hour > 23:
            continue
        if meridiem == "pm" and hour < 12:
            hour += 12
        if meridiem == "am" and hour == 12:
            hour = 0
        times.append((hour, minute, bool(meridiem)))
    # An offer that cannot be read (a damaged stored slot) can never be the one picked.
    readable = {i: local for i, local in ((i, _slot_local_or_none(slot)) for i, slot in enumerate(offered)) if local}
    candidates = list(range(len(offered)))
    if weekday or times:
        candidates = [i for i in candidates if i in readable]
    if weekday:
        wanted = _WEEKDAYS[weekday.group(1)]
        candidates = [i for i in candidates if readable[i].weekday() == wanted]
    if times:
        hour, minute, explicit = times[0]

        def same_time(i: int) -> bool:
            local = readable[i]
            if explicit:
                return (local.hour, local.minute) == (hour, minute)
            # "at 3" or "3:30" without am/pm: showings are daytime, so 3 means 15:00.
            return local.minute == minute and local.hour in {hour, hour + 12}

        candidates = [i for i in candidates if same_time(i)]
    if (weekday or times) and len(candidates) == 1:
        return candidates[0], True
    if (weekday or times) and candidates != list(range(len(offered))):
        return None, True
    if AFFIRM.search(text):
        return (0, True) if len(offered) == 1 else (None, True)
    return None, False
