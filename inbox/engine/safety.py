"""Renter-side safety reading: payment pressure and fair-housing topics, on folded text.

Both only add a risk flag; the planner turns any risk flag into a ``high_risk`` hold, so such a
message is always put in front of a person, and a payment-pressure message never gets showing
slots offered, not even in the held draft (a scammer must not get a booked slot out of it).

Fair-housing topics are held rather than answered by a template: the safe answer to "is it a
good area for kids?" or "do you take vouchers?" depends on the unit's owner and local law, and
a person writes it. A renter who only mentions their own family ("I have two kids and a cat, do
you allow cats?") is not held: the question is about the cat. The labelled sets in
``tests/inbox/corpus/safety.yaml`` measure both detectors (docs/engine.md). Each has its Spanish
patterns too (folded text: no accents), measured by ``tests/inbox/corpus/safety_es.yaml``.
"""

from __future__ import annotations

import re

PAYMENT_PRESSURE = "payment_pressure"
FAIR_HOUSING_TOPIC = "fair_housing_topic"

_P = re.compile

# --- payment pressure ----------------------------------------------------------------------
_CHANNEL = (
    r"wire|wired|wiring|wire transfer|western union|moneygram|zelle|venmo|cash ?app|paypal"
    r"|(?:\w+ )?gift ?cards?|itunes(?: cards?)?|google play cards?|bitcoin|btc|crypto\w*|usdt|eth|ethereum|tether"
    r"|bank transfer|money orders?|(?:cashier'?s|certified|bank) (?:check|cheque)s?"
)
_MONEY = (
    r"deposit|money|payment|funds|first month|rent|holding fee|fee|\d+ months?|full amount|the amount"
    r"|reserve|hold|secure|lock"
)
_PAY = r"pay|paying|send|sending|transfer|transferring|wire|wiring|put down|leave|give you|venmo|buy"
_UPFRONT = (
    r"before (?:the |a |i |we |even )?(?:see|seeing|view|viewing|showing|tour|touring|visit|visiting)"
    r"|without (?:even )?(?:seeing|viewing|a viewing|visiting|touring)|sight unseen|unseen|upfront|up front"
    r"|in advance|to (?:hold|reserve|secure|lock)|(?:so|if) (?:you|u) (?:hold|reserve|keep|take it off)"
)
_AWAY = r"overseas|abroad|out of the country|offshore|deployed|on a ship|oil rig|missionary"
_THIRD_PARTY = (
    r"my (?:\w+ ){0,2}?(?:agent|mover|moving company|shipping company|lawyer|attorney|cousin|assistant"
    r"|secretary|relative|friend|uncle|aunt|brother|sister)"
)
PAYMENT_PATTERNS: tuple[re.Pattern[str], ...] = (
    # An off-platform channel next to money: "wire the deposit", "pay with gift cards", "bitcoin to reserve".
    _P(rf"\b(?:{_PAY})\b.{{0,60}}?\b(?:{_CHANNEL})\b"),
    _P(rf"\b(?:{_CHANNEL})\b.{{0,60}}?\b(?:{_MONEY})\b"),
    # Money before (or instead of) a viewing, or to hold the place.
    _P(rf"\b(?:{_PAY})\b(?:\W+\w+){{0,6}}?\W+(?:{_MONEY})\b.{{0,80}}?\b(?:{_UPFRONT})\b"),
    _P(r"\bsight unseen\b"),
    # "I'm overseas" with money, keys or a go-between in the same message.
    _P(
        rf"\b(?:{_AWAY})\b.{{0,160}}?\b(?:send|pay|wire|transfer|mail|check|cheque|deposit|money|payment|keys|agent|mover|lawyer)\b"
    ),
    _P(rf"\b(?:send|pay|wire|transfer|mail|check|cheque|deposit|money|payment|keys)\b.{{0,160}}?\b(?:{_AWAY})\b"),
    # A third party pays, holds or collects the money or the keys.
    _P(
        rf"\b{_THIRD_PARTY}\b.{{0,60}}?\b(?:pay|pays|send|sends|wire|mail|hold|holds|handle the payment|collect|funds|payment|check|cheque|keys)\b"
    ),
    _P(rf"\b(?:extra|difference|rest|balance|money|payment|funds)\b.{{0,40}}?\b(?:to|for) {_THIRD_PARTY}\b"),
    # Overpayment and refund tricks; asking for the landlord's bank details; keys by post.
    _P(r"\b(?:check|cheque)s? for more than\b|\brefund (?:me )?the (?:difference|extra|balance|rest)\b"),
    _P(r"\b(?:your|ur) (?:bank|account|banking|wire) (?:details|info|information|number)\b"),
    _P(r"\b(?:mail|send|ship|post) (?:me )?the keys\b"),
)

# Spanish (folded: no accents): "transferencia para apartarlo", "tarjetas de regalo", "pago por adelantado sin verlo",
# "estoy en el extranjero", "mi agente recibe el dinero", "cheque de caja".
_CHANNEL_ES = (
    r"transferencia(?: bancaria| electronica)?|transferir|giro(?: postal| bancario)?|western union|moneygram|zelle|venmo|paypal"
    r"|tarjetas? de regalo|tarjetas? (?:de )?(?:itunes|google play|amazon|steam)|bitcoin|cripto\w*|usdt|oxxo"
    r"|cheque(?:s)? (?:de caja|certificado|de gerencia|bancario)|orden de pago|deposito (?:en|a) (?:oxxo|efectivo|(?:mi|una) cuenta)"
)
_MONEY_ES = (
    r"deposito|dinero|pago|fondos|primer mes|renta|apartar(?:lo|la)?|reservar(?:lo|la)?|asegurar(?:lo|la)?|el monto|la cantidad"
    r"|anticipo|enganche|adelanto"
)
_PAY_ES = r"pag\w*|envi\w*|transfier\w*|transferi\w*|deposit\w*|mand\w*|dar(?:le|te|les)?|doy|damos|compr\w*"
_UPFRONT_ES = (
    r"antes de (?:verlo|verla|ver|la visita|visitar|conocer|ir)|sin (?:verlo|verla|ver|visitar(?:lo|la)?|conocer(?:lo|la)?|haberlo visto)"
    r"|por adelantado|adelantado|para (?:apartar|reservar|asegurar|guardar)(?:lo|la|me lo|me la)?|si me lo (?:apartan|guardan|reservan)"
)
_AWAY_ES = r"en el extranjero|fuera del pais|en otro pais|embarcad[oa]|desplegad[oa]|plataforma petrolera|de mision"
_THIRD_PARTY_ES = r"mi (?:agente|abogad[oa]|prim[oa]|ti[oa]|herman[oa]|amig[oa]|asistente|secretari[oa]|familiar|empresa de mudanza|mudanza)"
PAYMENT_PATTERNS += (
    _P(rf"\b(?:{_PAY_ES})\b.{{0,60}}?\b(?:{_CHANNEL_ES})\b"),
    _P(rf"\b(?:{_CHANNEL_ES})\b.{{0,60}}?\b(?:{_MONEY_ES})\b"),
    _P(rf"\b(?:{_PAY_ES}|{_MONEY_ES})\b.{{0,80}}?\b(?:{_UPFRONT_ES})\b"),
    _P(rf"\b(?:{_AWAY_ES})\b.{{0,160}}?\b(?:{_PAY_ES}|cheque|deposito|dinero|pago|llaves|agente|abogad[oa])\b"),
    _P(rf"\b(?:{_PAY_ES}|cheque|deposito|dinero|pago|llaves)\b.{{0,160}}?\b(?:{_AWAY_ES})\b"),
    _P(rf"\b{_THIRD_PARTY_ES}\b.{{0,60}}?\b(?:{_PAY_ES}|recib\w*|cobr\w*|fondos|cheque|llaves)\b"),
    _P(
        r"\bcheque (?:por|de) (?:mas|un monto mayor)\b|\b(?:devuelva[ns]?|devuelves|reembols\w*|regres\w*) (?:me )?la diferencia\b"
    ),
    _P(r"\b(?:su|tu|sus|tus) (?:datos bancarios|cuenta bancaria|numero de cuenta|clabe|datos de (?:la )?cuenta)\b"),
    _P(r"\b(?:envi\w*|mand\w*) (?:me |nos )?las llaves\b"),
)

# --- fair-housing topics ---------------------------------------------------------------------
_ETHNIC = (
    r"white|black|hispanic|latino|latina|latinx|asian|african|arab|indian|mexican|chinese|korean|russian"
    r"|polish|irish|italian|haitian|somali|caribbean|middle eastern|european|american"
)
_RELIGIOUS = r"jewish|muslim|christian|catholic|hindu|sikh|mormon|orthodox|buddhist|religious"
_GROUP_NOUN = r"people|families|folks|neighbou?rs|residents|tenants|communit(?:y|ies)|kids|children|crowd"
_AGE_GROUP = (
    r"(?:older|old|elderly|young|younger|retired|mature) (?:people|folks|crowd|residents|tenants|neighbou?rs|couples?"
    r"|professionals|families)|seniors?|elderly|retirees|young professionals"
)
_PEOPLE = (
    rf"kids?|child(?:ren)?|toddlers?|teen(?:ager)?s|famil(?:y|ies)|{_AGE_GROUP}|immigrants?|foreigners"
    rf"|(?:{_ETHNIC}|{_RELIGIOUS}) (?:{_GROUP_NOUN})|hispanics|latinos|muslims|jews|christians|catholics|minorities"
)
_PERSON = (
    rf"kids?|child(?:ren)?|toddlers?|famil(?:y|ies)|single (?:woman|women|mom|mother|female|girl|lady)"
    rf"|wom[ae]n|ladies|girls?|seniors?|elderly|older|retirees|young|{_RELIGIOUS}|{_ETHNIC}|immigrants?|foreigners"
)
_PLACE = r"area|neighbou?rhood|building|place|community|street|block|complex|location|it|this"
_FITS = r"good|great|safe|ok|okay|suitable|right|nice|ideal|friendly|appropriate|a good fit|welcoming"
FAIR_HOUSING_PATTERNS: tuple[re.Pattern[str], ...] = (
    # Who lives around: "are there a lot of kids", "mostly older people", "many Hispanic families".
    _P(
        rf"\b(?:are there|is there|how many|lots of|a lot of|many|any other|other|mostly|mainly|predominantly|what kind of|what type of|what sort of)\b(?:\W+\w+){{0,2}}?\W+(?:{_PEOPLE})\b"
    ),
    _P(
        r"\b(?:what (?:kind|type|sort) of (?:people|neighbou?rs|tenants|residents)|who (?:lives|live) (?:there|here|nearby|in the building|next door|around))\b"
    ),
    # Whether the place suits a group: "good for families", "safe area for a single woman".
    _P(
        rf"\b(?:{_PLACE})\b\s+(?:\w+\s+){{0,2}}?(?:{_FITS})\s+for\s+(?:a |an |my |our )?(?:\w+\s+){{0,2}}?(?:{_PERSON})\b"
    ),
    _P(rf"\b(?:{_FITS})\s+(?:{_PLACE})\s+for\s+(?:a |an |my |our )?(?:\w+\s+){{0,2}}?(?:{_PERSON})\b"),
    # "family-friendly building" (but not "is it family-friendly to have guests over").
    _P(r"\b(?:kid|child|family)[- ]?friendly\b(?!\s+to\b)"),
    _P(
        rf"\b(?:demographics?|ethnic(?:ity| mix| makeup)?|racial(?:ly)?|diversity|diverse|(?:mostly|mainly|predominantly|all) (?:{_ETHNIC}|{_RELIGIOUS}|immigrants?|foreign))\b"
    ),
    # Religion: a place of worship with its community, or a religious area.
    _P(
        rf"\b(?:synagogue|mosque|church|temple|gurdwara)\b.{{0,60}}?\b(?:community|area|families|people|neighbou?rhood|{_RELIGIOUS})\b"
    ),
    _P(
        rf"\b(?:{_RELIGIOUS})\s+(?:area|neighbou?rhood|community|building|families|people|neighbou?rs|town|part of town)\b"
    ),
    # Source of income.
    _P(
        r"\b(?:section ?8|vouchers?|cityfheps|fheps|hcv|housing (?:choice|assistance)|rental assistance|public assistance"
        r"|ssi|ssdi|disability (?:income|benefits|payments|check)|social security (?:income|benefits)|welfare|food stamps"
        r"|snap benefits|child support|alimony)\b"
    ),
    # Disability and accommodation (an emotional support animal is not a pet: its answer is not the pet policy).
    _P(
        r"\b(?:wheelchairs?|accessib(?:le|ility)(?! by)|ada|disabled|disabilit(?:y|ies)|handicap(?:ped)?|emotional support"
        r"|esa|service (?:dog|animal)s?|reasonable accommodations?|as an accommodation|autis\w+|deaf|blind|mobility"
        r"|walker|crutches|chronic illness|mental health)\b"
    ),
    # Age.
    _P(
        r"\b(?:age (?:limit|requirement|restriction|range)s?|how old (?:are|is) (?:the )?(?:neighbou?rs|tenants|residents|people|others)"
        r"|(?:55|62) ?\+|over (?:55|60|62|65)|senior (?:building|community|housing|living)|adults?[- ]only"
        r"|(?:young|younger|older) crowd|retirees)\b"
    ),
    # Children: excluding them, or asking whether one's own are a problem.
    _P(r"\b(?:no kids|without kids|kid[- ]free|child[- ]free|no children|no families)\b"),
    _P(
        r"\b(?:my|our)\s+(?:\w+\s+)?(?:kids?|children|toddlers?|babies|baby|son|daughter|teens?)\b.{0,40}?\b(?:problem|issue|allowed|mind|bother|noise|noisy)\b"
    ),
    # National origin and language.
    _P(
        r"\b(?:neighbou?rs|people|tenants|residents|they|everyone) (?:\w+ )?speak english\b|\benglish[- ]speaking (?:area|building|neighbou?rs|people)\b"
    ),
)

# Spanish: who lives around, whether a place suits a group, income source, disability, age, children, origin.
_PEOPLE_ES = (
    r"ninos|ninas|nenes|criaturas|hijos|familias|jovenes|personas mayores|gente mayor|ancianos|jubilados|adultos mayores"
    r"|latinos|hispanos|mexicanos|inmigrantes|extranjeros|gringos|morenos|negros|blancos|asiaticos|chinos|arabes|musulmanes"
    r"|judios|cristianos|catolicos|evangelicos|gente (?:joven|mayor|de color|latina|blanca|negra)"
)
_PLACE_ES = (
    r"zona|barrio|colonia|vecindario|edificio|lugar|comunidad|calle|cuadra|complejo|ubicacion|area|departamento|depa"
)
_FITS_ES = r"buen[oa]|segur[oa]|adecuad[oa]|ideal|apt[oa]|tranquil[oa]|recomendable|amigable|bien"
_FAIR_ES: tuple[re.Pattern[str], ...] = (
    _P(rf"\b(?:hay|viven|tiene|tienen)\b(?:\W+\w+){{0,2}}?\W+(?:{_PEOPLE_ES})\b"),
    _P(
        rf"\b(?:muchos|muchas|puros|puras|mayormente|principalmente|otros|otras|que tipo de)\s+(?:{_PEOPLE_ES}|gente|personas|vecinos|inquilinos)\b"
    ),
    _P(
        r"\b(?:quien(?:es)? vive(?:n)? (?:ahi|alli|aqui|en el edificio|al lado)|de donde son los vecinos|como es la gente)\b"
    ),
    _P(
        rf"\b(?:{_PLACE_ES})\b\s+(?:\w+\s+){{0,2}}?(?:{_FITS_ES})\s+(?:para|con)\s+(?:un |una |mi |mis |nuestros |nuestras )?(?:\w+\s+){{0,2}}?"
        rf"(?:{_PEOPLE_ES}|nino|nina|bebe|familia|mujer sola|mujer|senora|persona mayor|persona sola)\b"
    ),
    _P(
        r"\b(?:apt[oa]|amigable|adecuad[oa]) (?:para|con) (?:ninos|familias|bebes)\b|\b(?:edificio|ambiente|zona|barrio) familiar\b"
    ),
    _P(
        r"\b(?:seccion ?8|section ?8|vales? (?:de vivienda)?|voucher|asistencia (?:de vivienda|publica|del gobierno|social)"
        r"|ayuda del gobierno|subsidio|cupones de alimentos|pension (?:por|de) (?:discapacidad|invalidez)|seguro social|ssi|manutencion"
        r"|programa de vivienda)\b"
    ),
    _P(
        r"\b(?:silla de ruedas|accesible|accesibilidad|discapacidad|discapacitad[oa]|minusvalid[oa]|apoyo emocional"
        r"|(?:perro|animal) de (?:servicio|asistencia)|ajuste razonable|acomodacion razonable|autis\w+|sord[oa]|ciego|ciega"
        r"|movilidad reducida|andadera|muletas|salud mental|enfermedad cronica)\b"
    ),
    _P(
        r"\b(?:limite de edad|edad (?:minima|maxima)|que edad tienen|solo (?:para )?adultos|mayores de (?:55|60|62|65)"
        r"|jubilados|gente (?:joven|mayor)|personas mayores|ancianos)\b"
    ),
    _P(r"\b(?:sin ninos|no (?:se )?(?:aceptan|admiten|permiten) (?:ninos|familias))\b"),
    _P(
        r"\b(?:mis|nuestros|nuestras|mi)\s+(?:\w+\s+)?(?:hijos|hijas|hijo|hija|ninos|nenes|bebe|bebes)\b.{0,40}?\b(?:problema|permitid[oa]s|molest\w*|ruido|ruidos[oa]s?)\b"
    ),
    _P(
        r"\b(?:(?:los )?vecinos hablan|hablan (?:espanol|ingles) (?:los vecinos|en el edificio|ahi))\b"
        r"|\b(?:aceptan|rentan a) (?:inmigrantes|extranjeros|personas sin papeles|indocumentados)\b|\bsin papeles\b"
    ),
    _P(
        r"\b(?:iglesia|mezquita|sinagoga|templo)\b.{0,60}?\b(?:comunidad|zona|familias|gente|barrio|catolic\w*|judi\w*|musulman\w*|cristian\w*)\b"
    ),
)
FAIR_HOUSING_PATTERNS += _FAIR_ES


def payment_pressure(text: str) -> bool:
    """Tell whether a folded renter message pushes money off-platform, upfront or through a go-between."""
    return any(pattern.search(text) for pattern in PAYMENT_PATTERNS)


def fair_housing_topic(text: str) -> bool:
    """Tell whether a folded renter message asks about a protected class (answered only by a person)."""
    return any(pattern.search(text) for pattern in FAIR_HOUSING_PATTERNS)
