"""The default engine: deterministic rules, offline, no network, same answer every time.

Each intent has strong patterns (confidence 0.9) and weaker cues (0.65); a typo-tolerant
keyword match adds the weaker cue for misspelt words ("availble", "parkng"). Several
intents may be found in one message ("is it available and do you allow cats?"); the
primary is chosen by a fixed priority, silence-making intents (opt-out, abuse, spam)
first, so a "stop" is never drowned by a question in the same message.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from inbox.choices import Intent, ShowingState
from inbox.engine.base import Classification, DecisionContext
from inbox.engine.extract import AFFIRM, extract_profile, pick_offered_slot
from inbox.engine.rules_es import (
    ATTENDED_ES,
    CONFIRMS_ES,
    ES_PATTERNS,
    GREETING_ONLY_ES,
    HIGH_RISK_ES,
    MISSED_ES,
    THANKS_ES,
)
from inbox.engine.safety import FAIR_HOUSING_TOPIC, PAYMENT_PRESSURE, fair_housing_topic, payment_pressure
from inbox.guardrails import INJECTION_PATTERNS, THREAT_PATTERNS
from inbox.text import fold, words

STRONG = 0.9
WEAK = 0.65
FUZZY = 0.55
LOW_CONFIDENCE = 0.6

GREETING_WORDS = (
    r"hi|hii|hey|heya|hello|helo|hallo|hullo|yo|greetings|good (?:morning|afternoon|evening|day)|dear \w+|howdy"
    r"|hola|buenos dias|buenas(?: tardes| noches)?|bonjour|bonsoir|salut|coucou|ciao|buongiorno|buonasera|salve"
    r"|guten (?:tag|morgen|abend)|servus|moin|ola|oi|bom dia|boa tarde|hej|hoi|goedemiddag|merhaba|selam|namaste|namaskar"
    r"|shalom|salaam|salam|as-?salaam(?:u)? ?alaykum|marhaba|privet|привет|здравствуйте|你好|您好|こんにちは|안녕하세요|xin chao|sawasdee|jambo|kia ora|aloha"
)
_GREETING_ONLY = re.compile(
    rf"^(?:(?:{GREETING_WORDS})[\s,!.?:)(\-]*)+(?:(?:there|all|team|sir|madam|landlord|friend|folks|everyone|again|:\)|[\U0001F300-\U0001FAFF\u2600-\u27BF])[\s,!.]*)*"
    r"(?:how are you|how r u|hope you(?:'re| are) (?:well|good|doing well))?[\s,!.?\U0001F300-\U0001FAFF\u2600-\u27BF]*$"
)

# Each intent: (strong patterns, weak patterns, fuzzy keywords).
_P = re.compile
PATTERNS: dict[str, tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...], tuple[str, ...]]] = {
    Intent.OPT_OUT: (
        (
            _P(
                r"\b(?:unsubscribe|opt(?:-| )?out|remove me|take me off|stop (?:messaging|texting|emailing|contacting|sending|writing)|don'?t (?:contact|message|text|email|write to) me|do not (?:contact|message|text|email) me|no more (?:messages|texts|emails)|leave me alone|lose my number|delete my (?:number|info|data)|stop it)\b"
            ),
            _P(r"^\W*(?:stop|end|quit|cancel messages|stopall|unsub)\W*$"),
            _P(r"^\W*stop\W+(?:please|pls|now|thanks|thank you)\W*$"),
            _P(r"\b(?:please|pls|just) stop\b"),
            _P(r"\b(?:no mas mensajes|no me escribas|arr[eê]te[sz]? de m'?[ée]crire|d[ée]sabonner|desinscrire)\b"),
        ),
        (),
        ("unsubscribe",),
    ),
    Intent.ABUSIVE: (
        (
            *THREAT_PATTERNS,
            _P(
                r"\b(?:scam(?:mer)? artists?|you people are (?:useless|scammers|crooks|thieves)|(?:you(?:'re| are)|ur) (?:a |an )?(?:joke|clown|idiot|moron|scammer|crook|liar|thief|pathetic|useless|disgusting|fraud))\b"
            ),
            _P(r"\bwtf\b|\bstfu\b|\bgtfo\b|\bpiece of (?:shit|crap|garbage)\b"),
        ),
        (),
        (),
    ),
    Intent.SPAM_SCAM: (
        (
            _P(
                r"\b(?:crypto(?:currency)? (?:investment|opportunity|trading)|forex|binary options|make \$?\d+[k]? (?:a|per) (?:day|week)|earn \$?\d+[k]? (?:a|per|from)|work from home opportunity|passive income)\b"
            ),
            _P(
                r"\b(?:seo services?|backlinks?|web design services|marketing agency|grow your (?:business|followers)|buy (?:followers|likes)|rank (?:#1|first) on google|boost your listing)\b"
            ),
            _P(
                r"\b(?:we buy houses|cash offer for your (?:house|home|property)|sell your (?:house|home|property) fast)\b"
            ),
            _P(
                r"\b(?:i(?:'m| am) (?:currently )?(?:overseas|abroad|deployed|offshore|on a ship|out of the country)).{0,140}\b(?:check|cheque|deposit|pay|money|agent|shipping|mover)"
            ),
            _P(
                r"\b(?:send|mail|issue) you (?:a )?(?:cashier'?s |certified )?(?:check|cheque)\b.{0,80}\b(?:refund|the rest|difference|extra|balance)\b"
            ),
            _P(r"\b(?:my (?:shipping|moving|relocation) agent|pay (?:my|the) (?:shipping|moving) agent)\b"),
            _P(
                r"\b(?:cheap (?:viagra|cialis|pills|meds)|casino|lottery winner|you (?:have )?won|claim your prize|nigerian prince|inheritance funds?|barrister)\b"
            ),
            _P(r"\b(?:loan offer|instant loan|credit repair|debt relief)\b"),
            _P(r"(?:bit\.ly|tinyurl\.com|t\.me|wa\.me|goo\.gl)/\S+"),
            _P(
                r"\b(?:verify your (?:account|identity) (?:here|at|by clicking)|click (?:here|this link|the link below) to (?:verify|claim|confirm|unlock))\b"
            ),
        ),
        (_P(r"\b(?:whatsapp me|text me on whatsapp|telegram|contact me on (?:whatsapp|telegram|signal))\b"),),
        (),
    ),
    Intent.NOT_INTERESTED: (
        (
            _P(
                r"\b(?:not interested|no longer (?:interested|looking|need(?:ed)?)|not looking anymore|found (?:a|another|something|my) (?:place|apartment|room|unit|home|rental|flat)|found something else|already (?:found|signed|rented|moved|got a place)|(?:i'?ll|we'?ll|i will|we will|gonna) pass|(?:go|going|gone|went)(?: to go)? with (?:another|a different|something else|the other)|changed my mind|decided (?:to stay|not to|against)|no thanks|no thank you|nevermind|never mind|not for me|won'?t be (?:needing|moving|applying)|we(?:'re| are) (?:all )?set|i(?:'m| am) (?:all )?set|plans changed|no longer moving)\b"
            ),
            _P(
                r"\b(?:ya no (?:me )?interesa|no estoy interesad[oa]|plus int[ée]ress[ée]|pas int[ée]ress[ée]|kein interesse)\b"
            ),
        ),
        (_P(r"\b(?:too (?:expensive|far|small) for (?:me|us)[,.!]* (?:sorry|thanks|thank you|good luck))\b"),),
        (),
    ),
    Intent.CANCEL_SHOWING: (
        (
            _P(
                r"\b(?:cancel(?:l?ing)?|call off)\b(?:\W+\w+){0,3}?\W+(?:showing|viewing|appointment|tour|visit|meeting|booking)\b"
            ),
            _P(r"\b(?:need to|have to|want to|gotta|must|please) cancel\b"),
            _P(
                r"\b(?:can'?t|cannot|won'?t be able to|will not be able to|unable to) (?:make it|come|attend)\b(?![^.?!]{0,40}\b(?:another|other|different|later|instead|reschedule|move)\b)"
            ),
        ),
        (),
        ("cancel",),
    ),
    Intent.RESCHEDULE: (
        (
            _P(
                r"\b(?:re-?schedule|re-?book|push (?:it|the \w+) (?:back|to)|move (?:my|the|our|it) (?:showing|viewing|appointment|tour|visit)?\s*(?:to|from)?|change (?:the|my|our) (?:time|appointment|showing|viewing|tour)|different (?:time|day|slot)|another (?:time|day|slot)|other (?:times|days|slots)|a later time|an earlier time)\b"
            ),
            _P(r"\b(?:can'?t|cannot) make it\b.{0,60}\b(?:another|other|different|later|instead|else|tomorrow|next)\b"),
        ),
        (),
        ("reschedule",),
    ),
    Intent.SHOWING_REQUEST: (
        (
            _P(
                r"\b(?:see|view|visit|tour|look at|check out|come see|come by|stop by|swing by|drop by|walk ?through)\b(?:\W+\w+){0,3}?\W+(?:it|the (?:place|apartment|apt|unit|room|flat|house|home|property|studio)|this (?:place|apartment|unit|room|one)|in person|inside)\b"
            ),
            _P(
                r"\b(?:showing|viewing|walkthrough|walk-through|open house|(?:video|virtual|facetime|in-person|self-guided) tours?|a tour|schedule a (?:visit|tour|time)|book a (?:visit|tour|time|slot)|set up a time|come by|stop by|see it|view it|visit it|tour it|check it out|come see it)\b"
            ),
            _P(
                r"\b(?:visitar|verlo|ver el (?:apartamento|departamento|cuarto)|una visita|visiter|une visite|besichtigen|besichtigung|agendar uma visita)\b"
            ),
            _P(r"\bwhen can i (?:see|view|come|visit)\b"),
        ),
        (
            _P(
                r"\b(?:available (?:this|next|on|tomorrow|today|saturday|sunday|weekend)|free (?:this|tomorrow|saturday|sunday|weekend)|this weekend)\b"
            ),
        ),
        ("showing", "viewing", "schedule", "appointment", "visit"),
    ),
    Intent.APPLICATION: (
        (
            _P(
                r"\b(?:apply|applying|application|applications|rental app|next steps?|how do i (?:get|secure|reserve|rent) (?:it|this|the)|paperwork|credit (?:check|score)|background check|screening|income requirements?|requirements to (?:rent|apply|qualify)|qualify|guarantor|co-?signer|proof of income|pay ?stubs?|documents? (?:do you need|needed|required))\b"
            ),
            _P(r"\b(?:aplicar|solicitud|postuler|candidature|dossier)\b"),
        ),
        (
            _P(
                r"\b(?:what do you need from me|how do we proceed|i want it|i'?ll take it|we want it|ready to sign|sign the lease)\b"
            ),
        ),
        ("application", "apply", "requirements"),
    ),
    Intent.AVAILABILITY: (
        (
            _P(
                r"\b(?:still (?:available|open|up|for rent|free|listed|on the market|there|vacant|a thing)|is (?:it|this|the (?:\w+ )?(?:apartment|unit|room|place|flat|listing|studio|house)) (?:still )?(?:available|taken|gone|rented|vacant|free|open)|(?:has it|did it) (?:been )?(?:rent|taken|get rented)|availability|available\?|any vacanc(?:y|ies)|(?:taken|gone|rented) already|already (?:taken|gone|rented)|still get it|vacant|still have (?:it|the|this)|still renting)\b"
            ),
            _P(
                r"\b(?:disponible|disponivel|dispo|verfugbar|noch frei|libre|todavia (?:esta )?disponible|ainda (?:esta )?disponivel)\b"
            ),
            _P(
                r"\b(?:when is it available|when (?:does|will) it (?:become|be) (?:available|free|vacant)|available (?:for|from|starting)|is it available)\b"
            ),
        ),
        (_P(r"\b(?:available|open|free)\b"),),
        ("available", "availability", "vacant", "vacancy"),
    ),
    Intent.PRICE: (
        (
            _P(
                r"\b(?:how much|price|pricing|priced|cost|costs|(?:the|monthly|what'?s the|what is the|current) rent\b|rent (?:is|price|amount|cost|per month)|per month|monthly (?:rent|cost|payment)|security deposit|the deposit|how much is the deposit|fees?\b(?! for)|negotiable|cheaper|lower the (?:rent|price)|best price|asking (?:rent|price)|utilities included|utilities)\b"
            ),
            _P(
                r"\b(?:cuanto (?:cuesta|es)(?!\s+(?:el|la) (?:contrato|plazo|minimo|tiempo))|precio|renta mensual|combien|le prix|le loyer|wie viel|miete|quanto custa|preco|aluguel)\b"
            ),
            _P(r"\$\s?\d"),
        ),
        (_P(r"\b(?:rent|deposit|budget|afford|expensive)\b"),),
        ("price", "expensive", "monthly", "deposit"),
    ),
    Intent.MOVE_IN_DATE: (
        (
            _P(
                r"\b(?:move[- ]?in|moving in|move date|start date|when (?:can|could|would) (?:i|we) (?:move|take possession|get the keys)|earliest (?:date|i can|we can)|lease start|get the keys|possession date|occupancy date)\b"
            ),
            _P(r"\b(?:mudarme|mudarnos|fecha de entrada|emmenager|date d'?entree|einzug|einziehen)\b"),
        ),
        (
            _P(
                r"\b(?:need (?:a place|it|something) (?:by|from|for|starting)|looking to move|moving (?:on|by|in|around|at the start)|relocating)\b"
            ),
        ),
        ("move-in",),
    ),
    Intent.PETS: (
        (
            _P(
                r"\b(?:pets?|pet[- ]friendly|dogs?|cats?|puppy|puppies|kittens?|animals?|emotional support|service (?:animal|dog)|esa|birds?|parrots?|rabbits?|bunny|hamsters?|guinea pigs?|ferrets?|reptiles?|snakes?|lizards?|turtles?|fish tank|aquarium)\b"
            ),
            _P(r"\b(?:mascotas?|perros?|gatos?|animaux|chiens?|haustier|hunde?|katzen?|animais)\b"),
        ),
        (),
        ("pets", "animals", "puppy", "kitten"),
    ),
    Intent.PARKING: (
        (
            _P(
                r"\b(?:parking|park (?:my|a|the|our)? ?(?:car|vehicle|truck|suv|van|bike|motorcycle)|garage|driveway|car ?port|carport|parking (?:spot|space|lot|permit)|street parking|where (?:do|can|would) (?:i|we) park|ev charg(?:er|ing))\b"
            ),
            _P(r"\b(?:estacionamiento|aparcamiento|parqueo|stationnement|parkplatz|estacionamento|vaga de garagem)\b"),
        ),
        (_P(r"\b(?:my car|i have a car|we have (?:a car|two cars|2 cars))\b"),),
        ("parking", "garage", "driveway"),
    ),
    Intent.LEASE_TERMS: (
        (
            _P(
                r"\b(?:lease (?:length|term|terms|duration|period|agreement|options?)|how long is the lease|minimum (?:lease|stay|term|rental)|month[- ]to[- ]month|short[- ]term|long[- ]term|\d{1,2}[- ]month (?:lease|term|stay|rental)|(?:six|twelve|six-month|12-month|one-year|1-year|one year|1 year|two year) (?:lease|term)|sublet|sublease|break (?:the|a) lease|early termination|renewal|renew the lease|furnished|unfurnished|roommates?|shared (?:kitchen|bathroom|space)|lease for (?:\d+|six|twelve) months)\b"
            ),
            _P(r"\b(?:contrato|duracion del contrato|bail|duree du bail|mietvertrag|contrato de aluguel)\b"),
        ),
        (_P(r"\b(?:lease|months?|year)\b"),),
        ("lease", "furnished", "sublet", "sublease"),
    ),
    Intent.OFF_TOPIC: (
        (
            _P(
                r"\b(?:tell me a joke|what'?s the weather|weather (?:like )?today|who won|the game last night|recipe|are you single|date me|go out with me|your favou?rite (?:movie|food|color|colour|song)|what'?s your (?:zodiac|sign|instagram)|do you like (?:pizza|music|movies|football)|homework|write me a poem|can you help me with my (?:homework|essay|code)|what is the meaning of life|bitcoin price|stock tips?)\b"
            ),
            _P(
                r"\b(?:are you (?:a )?(?:bot|robot|human|real person|ai)|is this (?:a )?(?:bot|robot|real person|automated))\b"
            ),
        ),
        (),
        (),
    ),
}
# The Spanish patterns (``inbox.engine.rules_es``) join the English ones: one reading whatever the language.
for _intent, (_strong, _weak, _fuzzy) in ES_PATTERNS.items():
    _en_strong, _en_weak, _en_fuzzy = PATTERNS[_intent]
    PATTERNS[_intent] = (_en_strong + _strong, _en_weak + _weak, _en_fuzzy + _fuzzy)

# Fixed priority: silence-making intents first; then the showing handshake; then questions.
PRIORITY: tuple[str, ...] = (
    Intent.OPT_OUT,
    Intent.ABUSIVE,
    Intent.SPAM_SCAM,
    Intent.NOT_INTERESTED,
    Intent.CANCEL_SHOWING,
    Intent.RESCHEDULE,
    Intent.SHOWING_MISSED,
    Intent.SHOWING_ATTENDED,
    Intent.CONFIRM_SHOWING,
    Intent.PICK_SLOT,
    Intent.SHOWING_REQUEST,
    Intent.APPLICATION,
    Intent.AVAILABILITY,
    Intent.PRICE,
    Intent.MOVE_IN_DATE,
    Intent.PETS,
    Intent.PARKING,
    Intent.LEASE_TERMS,
    Intent.OFF_TOPIC,
    Intent.GREETING,
    Intent.UNKNOWN,
)
INFORMATIONAL = frozenset(
    {
        Intent.AVAILABILITY,
        Intent.PRICE,
        Intent.SHOWING_REQUEST,
        Intent.APPLICATION,
        Intent.PETS,
        Intent.PARKING,
        Intent.MOVE_IN_DATE,
        Intent.LEASE_TERMS,
        Intent.PICK_SLOT,
    }
)
# The renter's answer to "are you still coming?" (a booked showing still ahead).
_CONFIRMS = re.compile(
    r"^\W*(?:yes|yep|yeah|yup|yes please|sure|ok|okay|confirmed?|absolutely|definitely|of course|si|sí)\b"
    r"|\b(?:i(?:'ll| will) be there|we(?:'ll| will) be there|see you (?:then|there|tomorrow|soon|on)|still (?:on|coming|good)"
    r"|(?:i |we )?confirm(?:ed|ing)?\b|count (?:me|us) in|sounds good|looking forward to it|still works)"
)
# After the showing's start: the renter says they missed it, or that it took place.
_MISSED = re.compile(
    r"\b(?:missed (?:it|the (?:showing|viewing|appointment|tour)|you)|(?:couldn'?t|could not|didn'?t|did not|wasn'?t able to|was not able to) (?:make it|come|get there|show up)"
    r"|sorry (?:i|we) (?:didn'?t|did not|couldn'?t|could not) (?:come|show|make it)|overslept|got (?:stuck|held up|lost)|no[- ]show|ran late)\b"
)
_ATTENDED = re.compile(
    r"\b(?:thanks? (?:you )?(?:for|4) (?:the (?:showing|tour|viewing|visit)|showing me|your time|meeting)"
    r"|(?:loved|liked|enjoyed|really like) (?:the (?:place|apartment|unit|room|showing|tour)|it|seeing it)"
    r"|(?:nice|great|good) (?:to meet|meeting|showing|tour|place)|(?:after|since) (?:the|seeing the) (?:showing|tour|viewing))\b"
)
_HIGH_RISK = re.compile(
    r"\b(?:lawyer|attorney|sue|suing|lawsuit|legal action|small claims|discriminat\w*|fair housing|hud complaint|human rights|"
    r"report you|police|cops|harass\w*|evict\w*|court|emergency|fire|gas leak|flood(?:ing|ed)?|carbon monoxide|injur\w*|"
    r"assault\w*|stalk\w*|suicid\w*|abuse[ds]?|domestic violence|scammed|fraud|stole|stolen|refund my|chargeback)\b"
)
_PII = re.compile(r"\b\d{3}-\d{2}-\d{4}\b|\b(?:\d[ -]?){13,18}\d\b")


def _distance_at_most(a: str, b: str, limit: int) -> bool:
    """Tell whether two words are within ``limit`` edits (Damerau-Levenshtein, banded)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit


def _fuzzy_hit(tokens: list[str], keywords: tuple[str, ...]) -> bool:
    for token in tokens:
        if len(token) < 5:
            continue
        for keyword in keywords:
            if token == keyword:
                return True
            limit = 1 if len(keyword) <= 7 else 2
            if token[0] == keyword[0] and _distance_at_most(token, keyword, limit):
                return True
    return False


def score_intents(text: str) -> dict[str, float]:
    """Return {intent: confidence} for every intent the folded text shows."""
    scores: dict[str, float] = {}
    tokens = words(text)
    for intent, (strong, weak, fuzzy) in PATTERNS.items():
        if any(p.search(text) for p in strong):
            scores[intent] = STRONG
        elif any(p.search(text) for p in weak):
            scores[intent] = WEAK
        elif fuzzy and _fuzzy_hit(tokens, fuzzy):
            scores[intent] = FUZZY
    return scores


def risk_flags(text: str, original: str) -> tuple[str, ...]:
    """Return what makes a message risky to answer automatically."""
    flags = []
    if _HIGH_RISK.search(text) or HIGH_RISK_ES.search(text):
        flags.append("high_risk_topic")
    # The raw text too: markup such as "<|im_start|>" is stripped from the folded text.
    if any(p.search(text) or p.search(original.lower()) for p in INJECTION_PATTERNS):
        flags.append("prompt_injection")
    if _PII.search(original):
        flags.append("personal_data")
    if payment_pressure(text):
        flags.append(PAYMENT_PRESSURE)
    if fair_housing_topic(text):
        flags.append(FAIR_HOUSING_TOPIC)
    return tuple(flags)


class RulesEngine:
    """The deterministic default engine."""

    name = "rules"

    def __init__(self, *, today: dt.date | None = None) -> None:
        self._today = today

    @staticmethod
    def _showing_answer(ctx: DecisionContext, text: str, scores: dict[str, float]) -> None:
        """Read a booked renter's answer: a confirmation before the showing, how it went after its start."""
        if ctx.booked_started:
            if _MISSED.search(text) or MISSED_ES.search(text) or Intent.CANCEL_SHOWING in scores:
                # "Sorry, couldn't make it" once the time has passed is a no-show, not a cancellation.
                scores.pop(Intent.CANCEL_SHOWING, None)
                scores[Intent.SHOWING_MISSED] = STRONG
            elif _ATTENDED.search(text) or ATTENDED_ES.search(text):
                scores[Intent.SHOWING_ATTENDED] = STRONG
            return
        if (_CONFIRMS.search(text) or CONFIRMS_ES.search(text)) and not scores.keys() & {
            Intent.CANCEL_SHOWING,
            Intent.RESCHEDULE,
        }:
            scores[Intent.CONFIRM_SHOWING] = STRONG

    def classify(self, ctx: DecisionContext) -> Classification:
        """Return the intents, confidence, extracted facts and risk flags of one message."""
        text = fold(ctx.text)[:20000]
        scores = score_intents(text)
        picked, reads_as_pick = None, False
        if ctx.showing_state in {ShowingState.OFFERED, ShowingState.RESCHEDULING} and ctx.offered_slots:
            picked, reads_as_pick = pick_offered_slot(text, ctx.offered_slots)
            if reads_as_pick and not scores.keys() & {
                Intent.OPT_OUT,
                Intent.ABUSIVE,
                Intent.SPAM_SCAM,
                Intent.NOT_INTERESTED,
                Intent.CANCEL_SHOWING,
            }:
                scores[Intent.PICK_SLOT] = STRONG if picked is not None else WEAK
                # "Tuesday works" after an offer is a pick, not a new showing request or availability question.
                for absorbed in (Intent.SHOWING_REQUEST, Intent.AVAILABILITY, Intent.RESCHEDULE):
                    if scores.get(absorbed, 0) < STRONG or picked is not None:
                        scores.pop(absorbed, None)
        if ctx.showing_state != ShowingState.BOOKED:
            # Without a booked showing there is nothing to cancel: "can't make it" is not a cancellation.
            scores.pop(Intent.CANCEL_SHOWING, None)
            if Intent.RESCHEDULE in scores and ctx.showing_state not in {
                ShowingState.OFFERED,
                ShowingState.RESCHEDULING,
            }:
                scores[Intent.SHOWING_REQUEST] = max(
                    scores.pop(Intent.RESCHEDULE), scores.get(Intent.SHOWING_REQUEST, 0)
                )
        if ctx.showing_state == ShowingState.BOOKED:
            self._showing_answer(ctx, text, scores)
        if (_GREETING_ONLY.match(text.strip()) or GREETING_ONLY_ES.match(text.strip())) and not scores:
            scores[Intent.GREETING] = STRONG
        if (
            not scores
            and (
                re.search(r"\b(?:thanks|thank you|thx|ty|great|awesome|ok|okay|cool|got it)\b", text)
                or THANKS_ES.search(text)
            )
            and len(text) < 60
        ):
            scores[Intent.GREETING] = WEAK
        intents = tuple(i for i in PRIORITY if i in scores) or (Intent.UNKNOWN,)
        primary = intents[0]
        confidence = scores.get(primary, 0.2)
        # "Not interested in a 12-month lease, is month-to-month possible?" is not a goodbye.
        conflicting = (
            INFORMATIONAL - {Intent.SHOWING_REQUEST, Intent.PICK_SLOT}
            if primary == Intent.CANCEL_SHOWING
            else INFORMATIONAL
        )
        ambiguous = primary in {Intent.NOT_INTERESTED, Intent.CANCEL_SHOWING} and any(
            scores.get(i, 0) >= STRONG for i in conflicting if i != primary
        )
        if primary == Intent.PICK_SLOT and picked is None:
            ambiguous = True
        today = self._today or timezone.localdate()
        extracted: dict[str, Any] = extract_profile(text, today=today)
        if AFFIRM.search(text) and primary == Intent.PICK_SLOT:
            extracted["affirmed"] = True
        return Classification(
            intent=primary,
            intents=intents,
            confidence=confidence,
            extracted=extracted,
            risk_flags=risk_flags(text, ctx.text),
            picked_slot=picked if primary == Intent.PICK_SLOT else None,
            engine=self.name,
            ambiguous=ambiguous,
        )
