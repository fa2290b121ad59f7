"""Which language a renter writes in: English, Spanish, another one, or too little to tell.

The bot answers in English and Spanish only (``SUPPORTED``); a renter writing in any other
language is held for a person (reason ``language``). Detection has two parts:

- ``simplemma``'s dictionary test (pure Python, no model download, kept up to date on PyPI):
  the share of the message's words that are words of each candidate language. It reads short
  messages better than character n-gram detectors, which need a sentence or two.
- Cues of our own for what a dictionary cannot weigh: ``¿ ¡ ñ``, words that belong to one
  language only in renters' messages ("hola", "gracias", "quiero" / "the", "hi", "thanks"), and
  greetings of the languages we do not answer ("bonjour", "ciao", "danke"). They break the ties a
  dictionary leaves on one- or two-word messages ("Ciao!" is an English, German and Italian word).

A message with nothing to tell by ("ok", "2", "👍") is ``UNKNOWN``: the conversation keeps the
language it had, so "el 2" after a Spanish offer is still answered in Spanish, and a later English
message switches the replies back to English. Pure functions, no database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import unicodedata

import simplemma
from simplemma.strategies import DefaultStrategy

from inbox.choices import Language, ReasonCode
from inbox.text import clean

#: The languages the bot writes; every other one is answered by a person.
SUPPORTED = (Language.EN, Language.ES)
#: Candidate languages for the dictionary test: ours, and the neighbours a renter most often writes in.
_CANDIDATES = ("en", "es", "fr", "de", "pt", "it", "nl")
#: Below this share of recognised words the best language is not trusted (too few known words).
_MIN_SHARE = 0.34
#: Another language must beat English and Spanish (with their cues) by more than this to count as "other".
_OTHER_MARGIN = 0.0

_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|@\w+|[\d$€£%#]+")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that, in a renter's message, belong to one language (folded: no accents).
_ES_WORDS = _words(
    """hola buenas buenos gracias quiero quisiera queria puedo podria podemos tengo tenemos tiene tienen necesito
    estoy esta estan sigue siguen todavia aun cuanto cuanta cuando donde como que porque pero tambien usted ustedes
    nosotros somos soy mi mis su sus el los las una unos unas del al con para por sin muy mas ya hay seria
    renta alquiler arriendo mensualidad deposito mascotas mascota perro perrito perros gato gatos departamento depa
    apartamento cuarto habitacion casa visita visitar verlo verla mudarme mudarnos mudanza contrato meses mes ano
    estacionamiento cochera garaje favor saludos interesa interesado interesada disponible lunes martes miercoles
    jueves viernes sabado domingo manana tarde noche hoy semana si claro vale perfecto bueno listo"""
)
_EN_WORDS = _words(
    """the is are it its it's this that you your i i'm i'd we we're my our hi hey hello thanks thank please what
    when where how can could would will do does did have has still available rent place apartment room see tour
    showing of and to for with be there any about just want need looking interested move pets dog cat parking
    lease yes no okay ok sure great cool awesome tomorrow today tonight weekend morning afternoon evening"""
)
# Greetings, courtesies and everyday words of the languages the bot does not answer in.
_OTHER_WORDS = _words(
    """bonjour bonsoir salut merci coucou ciao buongiorno buonasera grazie prego guten hallo danke servus moin
    tschuss ola oi obrigado obrigada tchau hoi goedemiddag dank bedankt hej tack merhaba privet namaste
    shalom voce voces nao gostaria aluguel ainda qual tambem muito affitto ancora vorrei della sono gli
    appartamento nog het een uma um pra"""
)
_ES_MARKS = re.compile("[¿¡ñÑ]")
# Portuguese, French and Italian letters Spanish never writes ("não", "garçon", "è ancora").
_OTHER_MARKS = re.compile("[ãõçÃÕÇàèùâêîôûœ]")


@dataclasses.dataclass(frozen=True)
class LanguageGuess:
    """What the detector read: ``language`` is en, es, other, or '' (unknown); ``code`` the best candidate."""

    language: str
    code: str = ""
    scores: tuple[tuple[str, float], ...] = ()

    @property
    def known(self) -> bool:
        return bool(self.language)


def _fold_word(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def _is_latin(char: str) -> bool:
    return char.isascii() or "LATIN" in unicodedata.name(char, "")


#: simplemma's own lemmatizer in low-memory mode: the dictionaries load on first use (a few
#: seconds, once per process) and keep a worker at tens of megabytes rather than hundreds.
_LEMMATIZER = DefaultStrategy(low_memory=True)
#: ``simplemma.langdetect``'s token samplers, in its order: the relaxed one only breaks a tie.
_SAMPLERS = (simplemma.MostCommonTokenSampler(), simplemma.RelaxedMostCommonTokenSampler())


@functools.lru_cache(maxsize=2**16)
def _known(token: str, lang: str) -> bool:
    """Tell whether simplemma finds ``token`` in ``lang``'s dictionary (or by its rules).

    A word's verdict never changes, and renters write the same few thousand words: remembered,
    the dictionary is searched once per word and language, not once per message (its
    low-memory search scans a compressed block, about as slow as the rest of a decision).
    """
    return _LEMMATIZER.get_lemma(token, lang) is not None


class _RememberedLemmatizer:
    """The lemmatization strategy simplemma's detector asks, answered from :func:`_known`."""

    def get_lemma(self, token: str, lang: str) -> str | None:
        return token if _known(token, lang) else None


_DETECTORS = tuple(simplemma.LanguageDetector(_CANDIDATES, sampler, _RememberedLemmatizer()) for sampler in _SAMPLERS)


def warm_up() -> None:
    """Load every candidate language's dictionary now rather than on the first renter's message.

    The load takes a few seconds per process. An ``rpa`` worker (the one that decides) calls this
    once before its processes fork (``leasebot.celery``): they share the dictionaries, and the
    first renter who writes after a deploy does not wait for them.
    """
    for code in _CANDIDATES:
        _LEMMATIZER.get_lemma("room", code)


def _dictionary_shares(text: str) -> dict[str, float]:
    """Return {candidate language: share of the words it knows} from simplemma's dictionary test.

    What ``simplemma.langdetect(text, lang=_CANDIDATES, low_memory=True)`` answers (its samplers
    in its order: the second only when the first leaves the two best tied), with each word's
    dictionary verdict remembered across messages (:func:`_known`).
    """
    found: list[tuple[str, float]] = []
    for detector in _DETECTORS:
        results = detector.proportion_in_each_language(text)
        found = sorted(results.items(), key=lambda item: (item[0] == "unk", -item[1]))
        if len(found) == 1 or found[0][1] != found[1][1]:
            break
    return {code: float(share) for code, share in found if code != "unk"}


def detect_language(text: str) -> LanguageGuess:
    """Return the language of one renter message (see the module's docstring for how)."""
    visible = _NOISE.sub(" ", clean(text or ""))[:2000]
    letters = [c for c in visible if c.isalpha()]
    if not letters:
        return LanguageGuess("")
    foreign_script = sum(1 for c in letters if not _is_latin(c))
    if foreign_script > len(letters) / 2:
        # Mostly another script (Cyrillic, Arabic, CJK...): a language the bot does not write.
        return LanguageGuess(Language.OTHER, "script")
    tokens = [_fold_word(w) for w in _WORD.findall(visible) if all(_is_latin(c) for c in w)]
    if not tokens:
        return LanguageGuess("")
    es_cues = sum(t in _ES_WORDS for t in tokens) + (2 if _ES_MARKS.search(visible) else 0)
    en_cues = sum(t in _EN_WORDS for t in tokens)
    other_cues = sum(t in _OTHER_WORDS for t in tokens) + (2 if _OTHER_MARKS.search(visible) else 0)
    shares = _dictionary_shares(visible)
    scores = {code: shares.get(code, 0.0) for code in _CANDIDATES}
    # Each cue weighs a quarter of a fully recognised message, two at most.
    scores["es"] += 0.25 * min(es_cues, 2)
    scores["en"] += 0.25 * min(en_cues, 2)
    best_other_code = max((code for code in _CANDIDATES if code not in SUPPORTED), key=lambda code: scores[code])
    # Words and letters of the languages we do not answer count for the best of them, as our cues do for ours.
    scores[best_other_code] += 0.25 * min(other_cues, 2)
    ranked = tuple(sorted(scores.items(), key=lambda item: (-item[1], _CANDIDATES.index(item[0]))))
    ours = max(scores["en"], scores["es"])
    best_other = scores[best_other_code]
    if other_cues and not (es_cues or en_cues):
        return LanguageGuess(Language.OTHER, best_other_code, ranked)
    if best_other >= _MIN_SHARE and best_other > ours + _OTHER_MARGIN:
        return LanguageGuess(Language.OTHER, best_other_code, ranked)
    if ours < _MIN_SHARE:
        return LanguageGuess("", ranked[0][0], ranked)
    if scores["es"] == scores["en"]:
        if es_cues == en_cues:
            return LanguageGuess("", "", ranked)
        return LanguageGuess(Language.ES if es_cues > en_cues else Language.EN, "", ranked)
    winner = Language.ES if scores["es"] > scores["en"] else Language.EN
    return LanguageGuess(winner, str(winner), ranked)


def reply_language(language: str) -> str:
    """Return the language replies are written in for a conversation's language (English unless Spanish)."""
    return Language.ES if language == Language.ES else Language.EN


def missing_template_code(language: str) -> ReasonCode:
    """Return why a message with no template waits: none at all (English), or none in the renter's language."""
    return ReasonCode.NO_TEMPLATE if reply_language(language) == Language.EN else ReasonCode.LANGUAGE


# --- Spanish wording of the facts a template quotes -------------------------------------------
_ES_MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
    "noviembre", "diciembre",
)  # fmt: skip
_ES_WEEKDAYS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")


def es_date(value: dt.date) -> str:
    """Return a date as a Spanish reader writes it: "1 de marzo de 2027"."""
    return f"{value.day} de {_ES_MONTHS[value.month - 1]} de {value.year}"


def es_slot_label(local_start: dt.datetime) -> str:
    """Return a showing time in Spanish: "mar 12 de enero, 10:00" (24-hour clock)."""
    return (
        f"{_ES_WEEKDAYS[local_start.weekday()]} {local_start.day} de {_ES_MONTHS[local_start.month - 1]}, "
        f"{local_start:%H:%M}"
    )
