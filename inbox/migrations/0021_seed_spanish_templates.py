"""Seed the Spanish reply templates: one for every template key the bot sends on its own.

Frozen here like the English ones (0004, 0016, 0019); admins edit them afterwards as new
versions. ``leasebot.seed`` restores them after a flush (it reads every inbox migration's
``TEMPLATES_ES``). They greet without the renter's name on purpose: "Hola, {first_name}" has no
graceful Spanish form when a platform shows no name. The unit's own free texts (pet policy,
parking) are quoted as the admin wrote them.
"""

from django.db import migrations

LANGUAGE = "es"
#: Spanish texts, key by key (``llm_playbook`` is never sent, so it has no Spanish text).
TEMPLATES_ES = {
    "opener": "¡Hola! Gracias por escribirnos.",
    "greeting": "¡Hola! Gracias por tu interés en {listing_title}. La renta es de {rent} al mes y está disponible desde {available_from}. ¿Qué te gustaría saber?",
    "availability": "Sí, {unit_name} en {listing_title} sigue disponible, desde {available_from}.",
    "price": "La renta es de {rent} al mes y el depósito de seguridad es de {deposit}.",
    "showing_offer": "Con gusto te muestro el lugar. Estos horarios están libres:\n{slots}\nSolo responde con el número que te convenga.",
    "showing_confirmed": "Tu visita quedó reservada para el {slot}. La dirección es {address}. ¡Nos vemos!",
    "showing_slot_taken": "Lo siento, alguien acaba de reservar el {slot}. Estos horarios siguen libres:\n{slots}\nSolo responde con el número que te convenga.",
    "showing_pick_unclear": "¡Con gusto te reservo una visita! ¿Cuál de estos horarios te queda mejor?\n{slots}\nSolo responde con el número.",
    "showing_cancelled": "Sin problema, tu visita del {slot} quedó cancelada. Si quieres elegir otro horario, solo avísame.",
    "no_slot": "Me encantaría organizar una visita. Estoy revisando las agendas de nuestros agentes y te escribo pronto con horarios.",
    "application": "Puedes presentar tu solicitud en línea aquí: {application_url} (toma unos 10 minutos). Un agente revisa cada solicitud.",
    "pets": "Sobre mascotas: {pets_policy}.",
    "parking": "Sobre estacionamiento: {parking}.",
    "move_in_date": "La unidad está disponible desde {available_from}, así que puedes mudarte en cualquier fecha a partir de entonces.",
    "lease_terms": "El contrato mínimo es de {min_lease_months} meses.",
    "off_topic": "¡Hola! Puedo ayudarte con preguntas sobre {listing_title}: renta, disponibilidad, visitas y solicitudes. ¿Qué te gustaría saber?",
    "unknown": "¡Gracias por tu mensaje! Una persona de nuestro equipo te responderá en breve.",
    "unlinked": "¿Me podrías decir por cuál anuncio preguntas (el título o un enlace)? Así te envío los detalles.",
    "ask_move_in": "¿Para cuándo te gustaría mudarte?",
    "ask_lease_length": "¿Por cuánto tiempo buscas el contrato?",
    "ask_occupants": "¿Cuántas personas vivirían ahí?",
    "ask_pets": "¿Vas a mudarte con alguna mascota?",
    "fit_lease": "Para que lo tengas en cuenta, el contrato mínimo aquí es de {min_lease_months} meses.",
    "fit_occupancy": "Para que lo tengas en cuenta, esta vivienda es para un máximo de {max_occupants} personas.",
    "sign_off": "Saludos cordiales,\nEl equipo de arrendamiento",
    "follow_up_first": "Hola, solo quería saber si sigues interesado o interesada en {listing_title}. Con gusto respondo tus preguntas o te agendo una visita.",
    "follow_up_second": "Hola, te escribo de nuevo sobre {listing_title}. Avísame si quieres agendar una visita o si tienes alguna pregunta.",
    "follow_up_final": "Hola, este es mi último mensaje sobre {listing_title}. Si sigues buscando, solo responde y te ayudo. Si no, ¡mucha suerte con tu búsqueda!",
    "showing_confirm_request": "Hola, una consulta rápida antes de tu visita a {listing_title} el {slot}: ¿sigues pensando venir? Responde sí para confirmar, o dime si necesitas otro horario.",
    "showing_confirm_thanks": "¡Gracias por confirmar! Nos vemos el {slot}. La dirección es {address}.",
    "showing_reminder": "Hola, te recuerdo que tu visita a {listing_title} es el {slot}, en {address}. Si algo cambia, solo responde aquí.",
    "showing_no_show": "Lamentamos no habernos encontrado en la visita a {listing_title}. Si todavía quieres verlo, estos horarios están libres:\n{slots}\nSolo responde con el número que te convenga.",
    "showing_application": "¡Gracias por venir a ver {listing_title}! Si quieres seguir adelante, puedes presentar tu solicitud en línea aquí: {application_url}",
    "showing_application_nudge": "Hola, te escribo después de tu visita a {listing_title}. Si quieres seguir adelante, la solicitud está aquí: {application_url}. Con gusto respondo cualquier pregunta.",
}


def seed_templates(apps, schema_editor):
    template_model = apps.get_model("inbox", "ReplyTemplate")
    version_model = apps.get_model("inbox", "ReplyTemplateVersion")
    for key, body in TEMPLATES_ES.items():
        if template_model.objects.filter(
            key=key, language=LANGUAGE, platform__isnull=True, account__isnull=True, is_active=True
        ).exists():
            continue
        template = template_model.objects.create(
            key=key, language=LANGUAGE, body=body, version=1, is_active=True, auto_send=True
        )
        version_model.objects.create(template=template, version=1, body=body)


def unseed_templates(apps, schema_editor):
    """Going back: every template in another language than English goes, seeded or an admin's own.

    Before 0020 only one template per key may be active; an edited Spanish text (a new
    version) or an account's own Spanish template would break that constraint when 0020 is
    reversed. Done here rather than in 0020, whose reverse alters the table: PostgreSQL
    refuses an ALTER in the transaction that deleted rows with deferred triggers pending.
    """
    apps.get_model("inbox", "ReplyTemplate").objects.exclude(language="en").delete()


class Migration(migrations.Migration):
    dependencies = [("inbox", "0020_language")]

    operations = [migrations.RunPython(seed_templates, unseed_templates)]
