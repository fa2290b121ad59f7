"""The renter's language and the Spanish rules, without the database: detection, reading, planning, safety."""

from __future__ import annotations

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest
import simplemma

from inbox import language
from inbox.choices import Intent, Language, ReasonCode, TemplateKey
from inbox.engine import RulesEngine
from inbox.engine.base import DecisionContext, ResolvedTemplate
from inbox.engine.extract import extract_profile
from inbox.engine.planner import plan_reply
from inbox.engine.safety import fair_housing_topic, payment_pressure
from inbox.guardrails import FAIR_HOUSING, check_text
from inbox.language import detect_language, es_date, es_slot_label, reply_language
from inbox.services.templates import template_preview
from inbox.templating import validate_template_body
from inbox.text import fold
from tests.inbox import corpus_runner

TODAY = dt.date(2027, 1, 11)
SPANISH = {
    **importlib.import_module("inbox.migrations.0021_seed_spanish_templates").TEMPLATES_ES,
    **importlib.import_module("inbox.migrations.0024_seed_showing_change_templates").TEMPLATES_ES,
}


@pytest.mark.parametrize(
    "text",
    [
        "Hola",
        "hola sigue disponible?",
        "¿Cuánto es la renta?",
        "Gracias",
        "perfecto",
        "se aceptan mascotas?",
        "No me escriban más",
        "baja por favor",
        "Necesito mudarme el 1 de marzo",
        "Buenas tardes, me interesa el apartamento. ¿Aceptan gatos?",
    ],
)
def test_spanish_messages_are_read_as_spanish_even_when_short(text: str) -> None:
    assert detect_language(text).language == Language.ES


@pytest.mark.parametrize(
    "text",
    [
        "Is it still available?",
        "thanks",
        "sounds good",
        "Hola! Is this still available? Can I move in next month?",  # The demo feeder's mixed message.
        "こんにちは! Is the room still available?",
        "Namaste! Is the unit still available for rent?",
    ],
)
def test_english_messages_are_read_as_english(text: str) -> None:
    assert detect_language(text).language == Language.EN


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Bonjour, l'appartement est-il toujours disponible ?", "fr"),
        ("Guten Tag, ist die Wohnung noch frei?", "de"),
        ("Oi, o apartamento ainda está disponível?", "pt"),
        ("Gostaria de agendar uma visita, por favor", "pt"),
        ("Quanto costa l'affitto al mese?", "it"),
        ("Ciao! 😊", ""),
        ("Здравствуйте, квартира еще свободна?", "script"),
        ("你好，这个房子还在出租吗？", "script"),  # noqa: RUF001 - full-width marks are what a Chinese renter types.
    ],
)
def test_other_languages_are_read_as_other(text: str, code: str) -> None:
    guess = detect_language(text)

    assert guess.language == Language.OTHER
    if code:
        assert guess.code == code


@pytest.mark.parametrize("text", ["ok", "2", "👍", "", "https://example.com/listing/12"])
def test_a_message_with_nothing_to_tell_by_has_no_language(text: str) -> None:
    assert detect_language(text).language == ""


def test_replies_are_written_in_spanish_only_for_spanish() -> None:
    assert reply_language(Language.ES) == Language.ES
    assert reply_language(Language.EN) == Language.EN
    assert reply_language(Language.OTHER) == Language.EN
    assert reply_language("") == Language.EN


def test_dates_and_slot_times_read_in_spanish() -> None:
    assert es_date(dt.date(2027, 3, 1)) == "1 de marzo de 2027"
    new_york = ZoneInfo("America/New_York")
    assert es_slot_label(dt.datetime(2027, 1, 12, 10, 0, tzinfo=new_york)) == "mar 12 de enero, 10:00"
    assert es_slot_label(dt.datetime(2027, 1, 13, 14, 30, tzinfo=new_york)) == "mié 13 de enero, 14:30"


def _classify(text: str, **kwargs: object) -> tuple[str, tuple[str, ...], int | None]:
    result = RulesEngine(today=TODAY).classify(DecisionContext(text=text, **kwargs))  # type: ignore[arg-type]
    return result.intent, result.risk_flags, result.picked_slot


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("¿Todavía está disponible?", Intent.AVAILABILITY),
        ("¿Cuánto cobran al mes?", Intent.PRICE),
        ("¿Puedo pasar a verlo mañana?", Intent.SHOWING_REQUEST),
        ("¿Qué requisitos piden?", Intent.APPLICATION),
        ("¿Aceptan mascotas?", Intent.PETS),
        ("¿Hay cochera?", Intent.PARKING),
        ("¿Cuándo me puedo mudar?", Intent.MOVE_IN_DATE),
        ("¿Se puede rentar mes a mes?", Intent.LEASE_TERMS),
        ("¿De cuánto es el contrato mínimo?", Intent.LEASE_TERMS),
        ("Ya encontré otro departamento, gracias", Intent.NOT_INTERESTED),
        ("No me vuelvan a escribir", Intent.OPT_OUT),
        ("BAJA", Intent.OPT_OUT),
        ("Dejen de mandarme mensajes", Intent.OPT_OUT),
        ("Son unos ladrones", Intent.ABUSIVE),
        ("Hola, buenas tardes", Intent.GREETING),
        ("¿Eres un robot?", Intent.OFF_TOPIC),
    ],
)
def test_spanish_rules_read_each_intent(text: str, intent: str) -> None:
    assert _classify(text)[0] == intent


@pytest.mark.parametrize(
    "text",
    [
        "No me manden más mensajes",
        "no me envíen nada más",
        "ya no me escriban",
        "No me molesten más",
        "no me molesten, por favor",
        "Por favor no me vuelvan a molestar",
        "no me envies mas informacion",
    ],
)
def test_a_spanish_stop_about_more_messages_is_an_opt_out(text: str) -> None:
    assert _classify(text)[0] == Intent.OPT_OUT


@pytest.mark.parametrize(
    "text",
    [
        "No me llames, escríbeme por aquí",
        "no me llamen",
        "no me mandes la dirección todavía",
        "No me envíe la solicitud todavía, primero quiero verlo",
        "no me molesten con llamadas, solo mensajes",
        "no me mandes más fotos, el jueves está bien",
        "No me mandes más tarde la info, mejor ahora",
    ],
)
def test_a_spanish_dont_call_or_dont_send_that_is_no_opt_out(text: str) -> None:
    # An opt-out suppresses the contact for good and no person sees it: a renter asking to be texted
    # rather than called, or not to be sent something yet, is a lead.
    assert _classify(text)[0] != Intent.OPT_OUT


def test_spanish_showing_answers_are_read_only_while_a_showing_is_booked() -> None:
    assert _classify("Sí, ahí estaré", showing_state="booked")[0] == Intent.CONFIRM_SHOWING
    assert _classify("Tengo que cancelar la visita", showing_state="booked")[0] == Intent.CANCEL_SHOWING
    assert _classify("¿Podemos cambiar la hora?", showing_state="booked")[0] == Intent.RESCHEDULE
    assert _classify("Perdón, no pude llegar", showing_state="booked", booked_started=True)[0] == Intent.SHOWING_MISSED
    assert (
        _classify("Gracias por mostrarme el lugar", showing_state="booked", booked_started=True)[0]
        == Intent.SHOWING_ATTENDED
    )


@pytest.mark.parametrize(
    ("text", "index"),
    [("el 2", 1), ("La primera opción", 0), ("me quedo con la tercera", 2), ("El jueves a las 5 de la tarde", 2)],
)
def test_a_spanish_pick_resolves_to_one_offered_slot(text: str, index: int) -> None:
    intent, _flags, picked = _classify(text, showing_state="offered", offered_slots=corpus_runner.OFFERED)

    assert intent == Intent.PICK_SLOT
    assert picked == index


def test_spanish_facts_are_remembered() -> None:
    found = extract_profile(
        fold("Somos 2 personas, tengo un perro pequeño y queremos mudarnos el 1 de marzo, contrato de 6 meses"),
        today=TODAY,
    )

    assert found["occupants"] == 2
    assert found["pets"] == "perro pequeno"
    assert found["move_in_date"] == "2027-03-01"
    assert found["lease_months"] == 6


@pytest.mark.parametrize(
    "text",
    [
        "Le hago una transferencia del depósito para apartarlo",
        "¿Puedo pagar con tarjetas de regalo?",
        "Pago por adelantado sin verlo",
        "Estoy en el extranjero, le envío un cheque de caja",
        "Mi agente le va a pagar el depósito",
    ],
)
def test_spanish_payment_pressure_is_flagged(text: str) -> None:
    assert payment_pressure(fold(text))


@pytest.mark.parametrize(
    "text",
    [
        "¿Hay muchos niños en el edificio?",
        "¿Es una zona segura para una mujer sola?",
        "¿Aceptan Sección 8?",
        "¿Es accesible para silla de ruedas?",
        "¿Hay límite de edad?",
        "¿Los vecinos hablan español?",
    ],
)
def test_spanish_fair_housing_topics_are_flagged(text: str) -> None:
    assert fair_housing_topic(fold(text))


@pytest.mark.parametrize(
    "text",
    ["Tengo dos hijos y un gato, ¿aceptan gatos?", "¿Cuánto es el depósito?", "¿Hay escuelas cerca?"],
)
def test_harmless_spanish_questions_are_not_flagged(text: str) -> None:
    folded = fold(text)

    assert not payment_pressure(folded)
    assert not fair_housing_topic(folded)


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Lo siento, no se aceptan niños.", True),
        ("Es ideal para jóvenes profesionales.", True),
        ("¿Tiene hijos?", True),
        ("¿Cuántos años tiene?", True),
        ("¿Está embarazada?", True),
        ("No hay problema con niños, todos son bienvenidos.", False),
        ("Aceptamos vales de vivienda.", False),
        ("¿Cuántas personas vivirían ahí?", False),
    ],
)
def test_outgoing_spanish_text_is_checked_for_fair_housing(text: str, flagged: bool) -> None:
    assert (FAIR_HOUSING in check_text(text).categories) is flagged


def test_every_spanish_template_is_valid_and_passes_the_guardrails() -> None:
    english = corpus_runner.default_templates(Language.EN)

    assert set(english) - set(SPANISH) == {TemplateKey.LLM_PLAYBOOK}
    for key, body in SPANISH.items():
        validate_template_body(body)
        preview = template_preview(template=corpus_runner.default_templates(Language.ES)[key])
        assert check_text(preview).ok, (key, check_text(preview).flags)


def _plan(text: str, language: str, templates: dict[str, ResolvedTemplate] | None = None) -> tuple[str, list[str]]:
    written = reply_language(language)
    chosen = templates if templates is not None else corpus_runner.default_templates(written)
    ctx = DecisionContext(
        text=text,
        renter_name="Ana",
        facts=corpus_runner.FACTS_ES if written == Language.ES else corpus_runner.FACTS,
        find_slots=lambda: list(corpus_runner.OFFERED),
        template=chosen.get,
        language=language,
    )
    plan = plan_reply(ctx, RulesEngine(today=TODAY).classify(ctx))
    return plan.reply_text, plan.reason_codes


def test_a_spanish_plan_is_written_from_spanish_templates_with_spanish_slot_times() -> None:
    text, reasons = _plan("Hola, ¿cuánto es la renta?", Language.ES)

    assert reasons == []
    assert "La renta es de $2,450 al mes" in text
    assert "1) mar 12 de enero, 10:00" in text
    assert "Tue Jan 12" not in text


def test_a_plan_for_another_language_is_held_for_a_person() -> None:
    text, reasons = _plan("Bonjour, combien coûte le loyer ?", Language.OTHER)

    assert ReasonCode.LANGUAGE in reasons
    assert text  # An English draft the agent can start from.


def test_a_missing_spanish_template_holds_the_reply_for_language() -> None:
    templates = {k: v for k, v in corpus_runner.default_templates(Language.ES).items() if k != TemplateKey.PRICE}

    _text, reasons = _plan("¿Cuánto es la renta?", Language.ES, templates)

    assert ReasonCode.LANGUAGE in reasons
    assert ReasonCode.NO_TEMPLATE not in reasons


@pytest.mark.parametrize(
    "text",
    [
        "Hi! Is the room still available from June 1? My budget is $1,500 and it's just me.",
        "Hola, ¿sigue disponible el departamento? Quisiera verlo el sábado.",
        "Bonjour, est-ce que l'appartement est toujours libre ?",
        "Guten Tag, ist die Wohnung noch frei?",
        "Olá, o apartamento ainda está disponível?",
        "Vorrei vedere l'appartamento domani",
        "Hallo, is het appartement nog beschikbaar?",
        "Ciao!",
        "ok",
        "el 2",
        "si claro, the 2nd one",
    ],
)
def test_the_remembered_dictionary_test_answers_as_simplemma_does(text: str) -> None:
    # Each word's verdict is remembered across messages; the shares must be simplemma's own, asked twice.
    expected = {
        code: float(share)
        for code, share in simplemma.langdetect(text, lang=language._CANDIDATES, low_memory=True)
        if code != "unk"
    }
    assert language._dictionary_shares(text) == expected
    assert language._dictionary_shares(text) == expected  # From the remembered verdicts.


class _CountingDictionaries:
    """A dictionary factory that records which languages were asked for (each an empty dictionary)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get_dictionary(self, lang: str) -> dict[str, str]:
        self.asked.append(lang)
        return {}


def test_warm_up_loads_every_candidate_languages_dictionary(monkeypatch: pytest.MonkeyPatch) -> None:
    dictionaries = _CountingDictionaries()
    monkeypatch.setattr(language, "_LEMMATIZER", simplemma.strategies.DefaultStrategy(dictionary_factory=dictionaries))

    language.warm_up()

    assert set(dictionaries.asked) == set(language._CANDIDATES)
