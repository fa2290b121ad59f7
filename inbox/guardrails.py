"""Guardrails: the last check on every outbound text, bot or agent, before it is queued or sent.

``check_text`` is a pure function (no database, no network, a few regular expressions) so
dispatch can call it on every outbound twice (before queuing and right before sending) and
the review UI can call it on every keystroke. A flagged text is never sent: dispatch holds
a bot reply for review and refuses an agent's manual reply, showing these reasons.

The rules aim at what a leasing reply must never say, with near-misses that must pass
("no pets" is a policy, "no kids" is familial-status discrimination; "we never ask for
wire transfers" is a warning, "wire the deposit" is a scam pattern).
"""

from __future__ import annotations

import dataclasses
import functools
import re

from inbox.text import fold

FAIR_HOUSING = "fair_housing"
OFF_PLATFORM_PAYMENT = "off_platform_payment"
PERSONAL_DATA = "personal_data"
THREAT_ABUSE = "threat_abuse"
LEGAL_ADVICE = "legal_advice"
PROMPT_INJECTION = "prompt_injection"
POLICY_PROMISE = "policy_promise"

CATEGORIES: tuple[str, ...] = (
    FAIR_HOUSING,
    OFF_PLATFORM_PAYMENT,
    PERSONAL_DATA,
    THREAT_ABUSE,
    LEGAL_ADVICE,
    PROMPT_INJECTION,
    POLICY_PROMISE,
)


@dataclasses.dataclass(frozen=True)
class GuardrailFlag:
    """One reason a text may not go out: the category, a sentence for the agent, the words found."""

    category: str
    reason: str
    excerpt: str


@dataclasses.dataclass(frozen=True)
class GuardrailResult:
    """The verdict on one text: clean when there is no flag."""

    flags: tuple[GuardrailFlag, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.flags

    @property
    def categories(self) -> tuple[str, ...]:
        """Return the flagged categories, each once, in check order."""
        return tuple(dict.fromkeys(flag.category for flag in self.flags))


# --- fair housing -----------------------------------------------------------------------
# Protected classes (federal FHA plus common state and city additions: source of income, age).
_PROTECTED = (
    r"kids?|child(?:ren)?|babies|baby|infants?|toddlers?|famil(?:y|ies)|pregnant|teen(?:ager)?s?"
    r"|christians?|muslims?|jews?|jewish|hindus?|catholics?|atheists?|religious"
    r"|blacks?|whites?|hispanics?|latin[oax]s?|asians?|arabs?|indians?|africans?|mexicans?|chinese"
    r"|immigrants?|foreigners?|non[- ]?citizens?|illegals?|(?:native )?english speakers?|americans? only"
    r"|gays?|lesbians?|lgbtq?\+?|trans(?:gender)?|queer|straight|males?|females?|men|women|guys|girls"
    r"|disabled|disabilit(?:y|ies)|handicap(?:ped)?|wheelchairs?|service (?:animals?|dogs?)|emotional support"
    r"|mental(?:ly)? ill(?:ness)?|deaf|blind"
    r"|seniors?|elderly|old people|retirees"
    r"|section ?8|vouchers?|welfare|public assistance|food stamps|cityfheps|hcv"
)
_EXCLUDING = (
    r"no|not|only|never|won'?t|wouldn'?t|don'?t|do not|does not|doesn'?t|cannot|can'?t|must be|prefer(?:red|ence)?"
    r"|ideal for|perfect for|suited for|suitable for|not suitable for|not allowed|no more|without|except"
    r"|not accept(?:ed|ing)?|refuse|reject"
)
_FAIR_PATTERNS: tuple[re.Pattern[str], ...] = (
    # "no kids", "no section 8", "christians only", "not suitable for families", "prefer female".
    re.compile(rf"\b(?:{_EXCLUDING})\b(?:\s+\w+){{0,3}}?\s+(?:{_PROTECTED})\b"),
    re.compile(
        rf"\b(?:{_PROTECTED})\b\s+(?:only|not (?:allowed|accepted|welcome)|need not apply|are not (?:allowed|accepted|welcome))\b"
    ),
    re.compile(r"\b(?:adults?|singles?|couples?|professionals?|students?) only\b"),
    re.compile(r"\b(?:no|not for) (?:families|kids|children)\b"),
    re.compile(
        r"\b(?:where are you from|what(?:'s| is) your (?:religion|race|ethnicity|nationality|national origin|sexual orientation))\b"
    ),
    re.compile(r"\b(?:are you|is she|is he) (?:pregnant|disabled|married|religious|a citizen|an immigrant)\b"),
    re.compile(
        r"\b(?:quiet|safe|nice) (?:neighbou?rhood|area|building) (?:with|for) (?:no|few) (?:minorities|immigrants|kids|children)\b"
    ),
)
_AGE_GROUP = (
    r"(?:young|younger|older|mature|elderly|retired) (?:professionals?|couples?|people|tenants|residents|crowd|adults"
    r"|singles?|folks|renters)|retirees|seniors?"
)
_ORIGIN = (
    r"hispanic|latino|latina|asian|black|white|african|arab|indian|mexican|chinese|jewish|muslim|christian|catholic"
)
_FAIR_PATTERNS += (
    # Asking the renter about a protected class: children, plans for a family, age, income source, disability, origin.
    re.compile(
        r"\b(?:do you have|have you got|how many|will there be|will you have|any)\b(?:\W+\w+){0,3}?\W+(?:kids|children|babies|toddlers|dependents)\b"
    ),
    re.compile(
        r"\b(?:planning|plan|going|want|hoping) to (?:have|start) (?:a |any )?(?:kids|children|a family|a baby)\b"
    ),
    re.compile(r"\bhow old are you\b|\bwhat(?:'s| is) your (?:age|date of birth|birthday)\b|\byour age\b"),
    re.compile(
        r"\bare you (?:\w+ ){0,2}?on (?:section ?8|a voucher|vouchers|welfare|disability|ssi|ssdi|assistance|public assistance|benefits)\b"
    ),
    re.compile(r"\b(?:do you|does anyone|does someone)\b(?:\W+\w+){0,4}?\W+(?:a )?disabilit(?:y|ies)\b"),
    re.compile(
        r"\bwhat (?:country|nationality|church|mosque|temple|synagogue|faith)\b|\bwhere were you born\b|\bis english your (?:first|native) language\b"
    ),
    # Steering: suiting a unit to a group, describing who lives there, nudging elsewhere.
    re.compile(
        rf"\b(?:perfect|ideal|great|best|better|good|made|a good fit|a great fit|looking|seeking|prefers?|prefer(?:red)?|want|reserved)\s+(?:for|to)?\s*(?:a |an )?(?:{_AGE_GROUP})\b"
    ),
    re.compile(rf"\b(?:would suit|suits|better suited to|best suited to)\s+(?:a |an )?(?:\w+\s+)?(?:{_PROTECTED})\b"),
    re.compile(
        rf"\bnot (?:\w+ ){{0,3}}?(?:fit|suited|suitable|ideal|great|good|appropriate|safe|right)\s+for\s+(?:\w+\s+){{0,2}}?(?:{_PROTECTED})\b"
    ),
    re.compile(
        rf"\b(?:mostly|mainly|predominantly|lots of|a lot of|many|full of|few)\s+(?:{_AGE_GROUP}|kids|children|families|immigrants|minorities|(?:{_ORIGIN})\s+(?:families|people|folks|neighbou?rs|residents|tenants))\b"
    ),
    re.compile(r"\badult (?:building|community|complex|living|only)\b"),
    re.compile(
        r"\byou(?:'d| would| might| may)? (?:feel |be )?(?:more )?comfortable (?:in|at|somewhere|elsewhere|with)\b|\b(?:a )?different neighbou?rhood\b"
    ),
    re.compile(
        rf"\b(?:don'?t|do not|won'?t|will not|never|can'?t|cannot)\s+(?:rent|lease|show|take|accept)\b.{{0,30}}?\b(?:{_PROTECTED})\b"
    ),
)
# Spanish (folded text): exclusion, questions about a protected class, steering.
_PROTECTED_ES = (
    r"ninos|ninas|hijos|hijas|bebes|familias|embarazada|cristianos|catolicos|judios|musulmanes|evangelicos"
    r"|latinos|hispanos|mexicanos|negros|blancos|asiaticos|arabes|inmigrantes|extranjeros|indocumentados"
    r"|hombres|mujeres|gays|discapacitados|personas con discapacidad|silla de ruedas|ancianos|personas mayores|jubilados"
    r"|seccion ?8|vales|asistencia publica"
)
_AGE_GROUP_ES = (
    r"jovenes(?: profesionales)?|personas mayores|gente (?:joven|mayor)|jubilados|adultos mayores|parejas sin hijos"
)
_FAIR_PATTERNS += (
    re.compile(
        rf"\b(?:no (?:se )?(?:aceptan?|aceptamos|admiten|admitimos|permiten|permitimos|rentamos a|rentamos)|solo|solamente|unicamente"
        rf"|sin|prefer\w*|ideal para|perfecto para|perfecta para|adecuado para|no apto para|no es para)\b(?:\s+\w+){{0,2}}?\s+(?:{_PROTECTED_ES})\b"
    ),
    re.compile(r"\bsolo (?:para )?(?:adultos|parejas|profesionales|estudiantes|solteros|solteras)\b"),
    re.compile(
        r"\b(?:tiene(?:s|n)?|cuantos|va(?:s|n)? a tener|planea(?:s|n)? tener)\b(?:\W+\w+){0,2}?\W+(?:hijos|ninos|bebes)\b"
    ),
    re.compile(r"\b(?:cuantos anos tiene(?:s|n)?|que edad tiene(?:s|n)?|su edad|tu edad|fecha de nacimiento)\b"),
    re.compile(
        r"\b(?:esta(?:s)? embarazada|(?:piensa|piensas|planea|planeas|quiere|quieres)(?:n)? tener (?:hijos|ninos|bebes|familia))\b"
    ),
    re.compile(
        r"\b(?:de donde (?:es|eres|son)|cual es (?:su|tu) (?:religion|nacionalidad|raza|origen)|(?:es|eres) (?:usted )?(?:ciudadan[oa]|inmigrante))\b"
    ),
    re.compile(
        r"\b(?:recibe(?:s|n)?|tiene(?:s|n)?|usa(?:s|n)?) (?:seccion ?8|vales?|asistencia|ayuda del gobierno|subsidio)\b|\btiene(?:s|n)? (?:alguna )?discapacidad\b"
    ),
    re.compile(r"\bhabla(?:s|n)? (?:bien )?ingles\b|\bes el ingles su (?:primer|lengua)"),
    re.compile(rf"\b(?:ideal|perfect[oa]|ideal|pensado|pensada|mejor)\s+para\s+(?:{_AGE_GROUP_ES})\b"),
    re.compile(r"\b(?:se sentiria|te sentirias|estaria|estarias) mas comod[oa] en (?:otr[oa]|otro barrio|otra zona)\b"),
    re.compile(
        r"\bno es (?:\w+ )?(?:ideal|adecuad[oa]|apt[oa]|buen lugar|segur[oa]) para (?:ninos|familias|bebes|una familia)\b"
    ),
)

#: Phrases that read as exclusion to the patterns but say the opposite ("no problem with kids").
_FAIR_SCRUB = re.compile(
    r"\b(?:no problem|not a problem|no issue|not an issue|no worries|not sure|no matter|no hay (?:ningun )?problema|no es problema|sin problema)\b"
)
# Positive or neutral statements about a protected class pass ("families welcome", "we accept vouchers").
_FAIR_SAFE = re.compile(
    r"\b(?:welcome|welcomed|accept(?:ed|s)?|happy to|regardless of|equal housing|bienvenid[oa]s?|aceptamos|se aceptan|sin importar|con gusto)\b"
)
_FAIR_NEGATED_SAFE = re.compile(
    r"\b(?:not|n't|never|no longer|cannot|can't)\s+(?:\w+\s+)?(?:accept|welcome)|\bno (?:se )?(?:aceptan?|aceptamos)\b"
)

# --- off-platform payment ---------------------------------------------------------------
_PAY_CHANNEL = (
    r"wire(?: transfer)?|wired|western union|moneygram|zelle|venmo|cash ?app|paypal|gift ?cards?|itunes cards?"
    r"|bitcoin|btc|crypto(?:currency)?|usdt|bank transfer|money order|cashier'?s check|mail (?:a )?check|cash"
)
_PAY_VERB = r"pay|send|transfer|wire|deposit|hold|reserve|secure|fee|money|payment|funds"
_PAY_CHANNEL_ES = (
    r"transferencia(?: bancaria)?|western union|moneygram|zelle|venmo|paypal|tarjetas? de regalo|bitcoin|cripto\w*|oxxo"
    r"|cheque de caja|giro postal|efectivo"
)
_PAY_PATTERNS = (
    re.compile(
        rf"\b(?:{_PAY_VERB})\w*\b(?:\W+\w+){{0,6}}?\W+(?:via|through|by|with|using|over|on|to my|thru)\s+(?:{_PAY_CHANNEL})\b"
    ),
    re.compile(
        rf"\b(?:{_PAY_CHANNEL})\b(?:\W+\w+){{0,5}}?\W+(?:the )?(?:deposit|first month|payment|fee|rent|money|funds|holding)\b"
    ),
    re.compile(
        r"\b(?:send|wire|transfer|pay)\b(?:\W+\w+){0,4}?\W+(?:deposit|money|payment|funds|first month)\b(?:\W+\w+){0,6}?\W+(?:before|to hold|to reserve|to secure|so i can|and i will|and i'll) "
    ),
    re.compile(r"\b(?:pay|send)\b(?:\W+\w+){0,4}?\W+(?:outside|off) (?:the )?(?:platform|site|app|website)\b"),
    re.compile(r"\b(?:my|our) (?:bank account|account number|routing number|iban|btc wallet|wallet address)\b"),
    re.compile(
        rf"\b(?:pag\w*|envi\w*|transfier\w*|deposit\w*|mand\w*)\b(?:\W+\w+){{0,6}}?\W+(?:por|con|via|mediante|a traves de|en)\s+(?:{_PAY_CHANNEL_ES})\b"
    ),
    re.compile(
        r"\b(?:envi\w*|transfier\w*|pag\w*|deposit\w*)\b(?:\W+\w+){0,4}?\W+(?:deposito|dinero|pago|primer mes|anticipo)\b(?:\W+\w+){0,6}?\W+(?:antes de|para apartar|para reservar|por adelantado)"
    ),
    re.compile(r"\b(?:mi|nuestra) (?:cuenta bancaria|cuenta|clabe|numero de cuenta)\b"),
)
_PAY_SAFE = re.compile(
    r"\b(?:never|don'?t|do not|won'?t|will not|not|no one will|nobody will)\b(?:\W+\w+){0,4}?\W+(?:ask|request|need|require|pay|send|wire)"
    r"|\b(?:nunca|no)\b(?:\W+\w+){0,4}?\W+(?:pedimos|pediremos|solicitamos|pida|pidas|pague|pagues|envie|envies|transfiera)"
)

# --- personal data ----------------------------------------------------------------------
_SSN_RE = re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b")
_CARD_RE = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PD_REQUEST = re.compile(
    r"\b(?:send|give|text|email|share|provide|need|tell|dm|reply with|what(?:'s| is))\b(?:\W+\w+){0,4}?\W+"
    r"(?:ssn|social security(?: number)?|social|credit card(?: number)?|card number|cvv|cvc|bank (?:login|password)"
    r"|online banking|passport number|driver'?s licen[cs]e number|pin|password)\b"
)

# --- threats and abuse ------------------------------------------------------------------
THREAT_PATTERNS = (
    re.compile(
        r"\b(?:i|we)(?:'ll| will| am going to|'m going to|'m gonna| gonna)\s+(?:kill|hurt|find|beat|destroy|ruin|come after|get) you\b"
    ),
    re.compile(r"\b(?:kill|hurt|shoot|stab|beat up) (?:you|yourself|him|her|them)\b"),
    re.compile(r"\byou(?:'d| had)? better (?:watch (?:your back|out)|pay up)\b"),
    re.compile(
        r"\b(?:f+u+c+k+(?:ing|er|ed)?|sh[i1]t(?:ty|head)?|bitch(?:es)?|bastard|asshole|a\$\$hole|dickhead|cunt|motherf\w*|retard(?:ed)?|moron|idiot|stupid (?:idiot|bitch|renter|tenant|person)|dumbass|scumbag|loser)\b"
    ),
    re.compile(r"\b(?:shut up|go to hell|screw you|get lost|drop dead)\b"),
)
_THREAT_SAFE = re.compile(r"\b(?:killer (?:view|deal|location|kitchen)|drop[- ]dead gorgeous)\b")

# --- legal advice -----------------------------------------------------------------------
_LEGAL_PATTERNS = (
    re.compile(
        r"\byou (?:can|could|should|may|are allowed to|have the right to)\b(?:\W+\w+){0,2}?\W+(?:sue|withhold (?:the |your )?rent|break (?:your|the) lease|stop paying|take (?:them|him|her|your landlord) to court|file (?:a )?(?:lawsuit|claim|complaint))\b"
    ),
    re.compile(
        r"\b(?:legally|under (?:the |state |federal |city )?(?:law|statute)|according to (?:the )?law|the law (?:says|requires|allows))\b"
    ),
    re.compile(r"\byour (?:legal |tenant )?rights (?:are|include|say)\b"),
    re.compile(
        r"\b(?:it is|it's|that is|that's) (?:perfectly )?(?:legal|illegal|not legal|unlawful|lawful) (?:for|to)\b"
    ),
    re.compile(r"\b(?:my|this is) legal advice\b|\bas (?:a|your) (?:lawyer|attorney)\b"),
    re.compile(r"\byou (?:are|re|'re) (?:legally )?entitled to\b"),
)

# --- prompt injection -------------------------------------------------------------------
INJECTION_PATTERNS = (
    re.compile(
        r"\b(?:ignore|disregard|forget|override)\b(?:\W+\w+){0,3}?\W+(?:previous|prior|above|earlier|all|your|system)\W+(?:\w+\W+){0,2}?(?:instructions?|prompts?|rules|messages|guidelines|directions)\b"
    ),
    re.compile(r"\b(?:system prompt|developer mode|jailbreak|dan mode|prompt injection|hidden instructions?)\b"),
    re.compile(r"\byou are (?:now|no longer) (?:a|an|my|the|in|free|dan|not)\b"),
    re.compile(r"\bas an ai(?: language model| assistant| model)?\b|\bi am an ai\b|\blanguage model\b"),
    re.compile(r"\bnew instructions?\s*:|\bbegin (?:system|admin|developer)\b|\bend of (?:system )?prompt\b"),
    re.compile(r"<\|?(?:im_start|im_end|system|endoftext)\|?>|\[/?inst\]|\[system\]|###\s*(?:system|instruction)"),
    re.compile(
        r"\b(?:reveal|print|show|repeat|output)\b(?:\W+\w+){0,3}?\W+(?:system prompt|instructions|your prompt|initial prompt|api key)\b"
    ),
)
_ECHO_MIN_WORDS = 8

# --- promises outside policy ------------------------------------------------------------
_PROMISE_PATTERNS = (
    re.compile(
        r"\b(?:waive|waived|waiving|skip|drop|forgive)\b(?:\W+\w+){0,3}?\W+(?:deposit|application fee|fees?|broker fee|first month|rent|credit check|background check)\b"
    ),
    re.compile(
        r"\b(?:deposit|application fee|broker fee|fees?)\b(?:\W+\w+){0,3}?\W+(?:waived|free|on us|not required|refunded in full)\b"
    ),
    re.compile(
        r"\b(?:\d+|one|two|a|first|last) months? (?:free|rent[- ]free|on us)\b|\bfree (?:month|rent|first month)\b"
    ),
    re.compile(
        r"\b(?:i|we)(?:'ll| will| can| could| would| are able to)\b(?:\W+\w+){0,2}?\W+(?:lower|reduce|cut|drop|discount|match|knock)\b(?:\W+\w+){0,3}?\W+(?:rent|price|deposit|fee)"
    ),
    re.compile(
        r"\b(?:\d+ ?%|\$\d[\d,]*) (?:off|discount)\b|\bdiscount(?:ed)? (?:rent|price|for you)\b|\bspecial (?:price|deal|discount) (?:for|just for) you\b"
    ),
    re.compile(
        r"\b(?:guarantee(?:d)?|promise(?:d)?|100%)\b(?:\W+\w+){0,3}?\W+(?:approv\w*|accept\w*|the (?:unit|apartment|room) is yours)\b"
    ),
    re.compile(r"\bno (?:credit|background|income) check\b"),
    re.compile(
        r"\b(?:i|we)(?:'ll| will)\b(?:\W+\w+){0,2}?\W+hold (?:the |this |it )?(?:unit|apartment|room|place|it) for you\b"
    ),
    re.compile(r"\bprice match\b"),
)
_PROMISE_SAFE = re.compile(
    r"\b(?:no|not|cannot|can'?t|unable to|don'?t|do not|never)\b(?:\W+\w+){0,2}?\W+(?:waive|discount|offer discounts|lower|reduce|hold|guarantee|promise)"
)


def _window(text: str, start: int, end: int, before: int = 40) -> str:
    return text[max(0, start - before) : end]


def _clause(text: str, start: int, end: int) -> str:
    """Return the clause around a match (between punctuation marks), the unit a negation applies to."""
    left = max(text.rfind(mark, 0, start) for mark in ".!?;,\n") + 1
    rights = [i for i in (text.find(mark, end) for mark in ".!?;,\n") if i != -1]
    return text[left : min(rights) if rights else len(text)]


def _excerpt(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - 20) : match.end() + 20].strip()


def _first(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            return found
    return None


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _fair_housing(text: str) -> list[GuardrailFlag]:
    text = _FAIR_SCRUB.sub(" ", text)
    for pattern in _FAIR_PATTERNS:
        for found in pattern.finditer(text):
            around = _clause(text, found.start(), found.end())
            # "no pets", "families welcome", "we accept vouchers": policy or inclusion, not exclusion;
            # "we do not accept section 8" stays flagged.
            if not _FAIR_NEGATED_SAFE.search(around) and _FAIR_SAFE.search(around):
                continue
            return [
                GuardrailFlag(
                    FAIR_HOUSING,
                    "Mentions a protected class (family status, religion, origin, sex, disability, age or "
                    "source of income) in a way that excludes, prefers or asks about it.",
                    _excerpt(text, found),
                )
            ]
    return []


def _off_platform_payment(text: str) -> list[GuardrailFlag]:
    for pattern in _PAY_PATTERNS:
        for found in pattern.finditer(text):
            if _PAY_SAFE.search(_window(text, found.start(), found.end(), 30)):
                continue
            return [
                GuardrailFlag(
                    OFF_PLATFORM_PAYMENT,
                    "Asks for money through an off-platform channel (wire, gift card, crypto, Zelle...) "
                    "or before a showing: the classic rental scam pattern.",
                    _excerpt(text, found),
                )
            ]
    return []


def _personal_data(text: str, original: str) -> list[GuardrailFlag]:
    flags: list[GuardrailFlag] = []
    ssn = _SSN_RE.search(original)
    if ssn:
        flags.append(
            GuardrailFlag(
                PERSONAL_DATA, "Contains what looks like a social security number.", "***-**-" + ssn.group()[-4:]
            )
        )
    for card in _CARD_RE.finditer(original):
        digits = re.sub(r"\D", "", card.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            flags.append(
                GuardrailFlag(PERSONAL_DATA, "Contains what looks like a payment card number.", "**** " + digits[-4:])
            )
            break
    request = _PD_REQUEST.search(text)
    if request and not _PAY_SAFE.search(_window(text, request.start(), request.end(), 30)):
        flags.append(
            GuardrailFlag(
                PERSONAL_DATA,
                "Asks for sensitive personal data (SSN, card, bank login) in a message; the application handles it.",
                _excerpt(text, request),
            )
        )
    return flags


def _threat_abuse(text: str) -> list[GuardrailFlag]:
    scrubbed = _THREAT_SAFE.sub(" ", text)
    found = _first(THREAT_PATTERNS, scrubbed)
    if found:
        return [
            GuardrailFlag(THREAT_ABUSE, "Contains a threat, an insult or abusive language.", _excerpt(scrubbed, found))
        ]
    return []


def _legal_advice(text: str) -> list[GuardrailFlag]:
    found = _first(_LEGAL_PATTERNS, text)
    if found:
        return [
            GuardrailFlag(
                LEGAL_ADVICE,
                "Reads as legal advice or a statement of the law; leasing replies refer legal questions to a professional.",
                _excerpt(text, found),
            )
        ]
    return []


def _shared_run(outbound: list[str], inbound: list[str], size: int) -> str:
    if len(outbound) < size or len(inbound) < size:
        return ""
    grams = {tuple(inbound[i : i + size]) for i in range(len(inbound) - size + 1)}
    for i in range(len(outbound) - size + 1):
        gram = tuple(outbound[i : i + size])
        if gram in grams:
            return " ".join(gram)
    return ""


def _prompt_injection(text: str, inbound: str) -> list[GuardrailFlag]:
    found = _first(INJECTION_PATTERNS, text)
    if found:
        return [
            GuardrailFlag(
                PROMPT_INJECTION,
                "Contains instructions aimed at an AI (or an AI talking about itself): likely an injection that got through.",
                _excerpt(text, found),
            )
        ]
    if inbound and _first(INJECTION_PATTERNS, inbound):
        echoed = _shared_run(re.findall(r"\w+", text), re.findall(r"\w+", inbound), _ECHO_MIN_WORDS)
        if echoed:
            return [
                GuardrailFlag(
                    PROMPT_INJECTION,
                    "Repeats a passage from a renter message that tried to instruct the bot.",
                    echoed[:120],
                )
            ]
    return []


def _policy_promise(text: str) -> list[GuardrailFlag]:
    for pattern in _PROMISE_PATTERNS:
        for found in pattern.finditer(text):
            if _PROMISE_SAFE.search(_window(text, found.start(), found.end(), 25)):
                continue
            return [
                GuardrailFlag(
                    POLICY_PROMISE,
                    "Promises something outside policy (discount, waived deposit or fee, free rent, guaranteed approval, a hold).",
                    _excerpt(text, found),
                )
            ]
    return []


def check_text(text: str, *, inbound_text: str = "") -> GuardrailResult:
    """Return every guardrail flag for an outbound text (``inbound_text``: the message it answers)."""
    return _check(text, inbound_text)


@functools.lru_cache(maxsize=256)
def _check(text: str, inbound_text: str) -> GuardrailResult:
    # A pure function of the two texts, its verdict immutable: the decision and the outbox judge the
    # same reply one after the other, and a template's reply recurs from renter to renter.
    folded = fold(text)
    inbound = fold(inbound_text) if inbound_text else ""
    flags = [
        *_fair_housing(folded),
        *_off_platform_payment(folded),
        *_personal_data(folded, text),
        *_threat_abuse(folded),
        *_legal_advice(folded),
        *_prompt_injection(folded, inbound),
        *_policy_promise(folded),
    ]
    return GuardrailResult(tuple(flags))
