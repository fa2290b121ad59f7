"""The rules engine's Spanish: the same intents as the English patterns, on folded text (no accents, lower case).

``inbox.engine.rules`` adds these to its own patterns, so a message is read the same way
whatever language it is in (a renter mixing "Hola" and English is read once, not twice), and
the planner answers in the renter's language from the Spanish templates. The safety side in
Spanish (payment pressure, fair-housing topics) lives with the English one in
``inbox.engine.safety``; the outgoing check in ``inbox.guardrails``.
"""

from __future__ import annotations

import re

from inbox.choices import Intent

_P = re.compile

_PLACE = r"(?:depa|departamento|apartamento|apto|cuarto|casa|lugar|habitacion|propiedad|unidad|piso|estudio|inmueble)"

# What may follow "no me mandes / envíen / molesten" in an opt-out: more messages ("más mensajes",
# "nada más", "más información"), or the end of the clause ("no me molesten más.", "no me manden,
# gracias"). Anything else is about something the renter does want: "no me mandes más fotos, el
# jueves está bien" or "no me mandes la dirección todavía" must reach a person, not suppress the
# contact. Calling is not here at all: "no me llames, escríbeme" asks for messages (as "don't call me"
# is no opt-out in English).
_STOP_NOUN = (
    r"(?:mensajes|mensajitos|correos|textos|sms|whatsapps?|notificaciones|informacion|info|publicidad|promociones|nada)"
)
_CLAUSE_END = r"(?:\s*(?:[.!?,;:]|$)|\s+(?:por favor|porfa|gracias|ya|nunca|de nuevo|otra vez)\b)"
_STOP_TAIL = rf"(?: (?:nada )?mas(?! tarde))?(?: {_STOP_NOUN}\b|(?={_CLAUSE_END}))"

# Each intent: (strong patterns, weak patterns, fuzzy keywords), as in ``inbox.engine.rules.PATTERNS``.
ES_PATTERNS: dict[str, tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...], tuple[str, ...]]] = {
    Intent.OPT_OUT: (
        (
            _P(
                r"\bno (?:me |nos )?(?:vuelva[ns]? a )?(?:escriba[ns]?|escribas|contacte[ns]?"
                r"|contactes|escribir(?:me|nos)?|contactar(?:me|nos)?|mandar(?:me|nos)? mensajes)\b"
                r"(?! (?:por|a) (?:este|otro))"
            ),
            # Sending and bothering only with an object about more messages, or nothing after the verb:
            # "no me mandes la dirección todavía" and "no me molesten con llamadas" are a lead talking.
            _P(
                rf"\bno (?:me |nos )?(?:vuelva[ns]? a )?(?:mande[ns]?|mandes|envie[ns]?|envies|moleste[ns]?|molestes|mandar|enviar|molestar){_STOP_TAIL}"
            ),
            # "No quiero que me sigan escribiendo": the wish, not the imperative. "... que me contacten
            # por teléfono" asks for another channel and is left to a person, as above.
            _P(
                r"\bno (?:quiero|deseo|queremos) que (?:me|nos) (?:sigan |vuelvan a )?(?:escriba[ns]?|escribiendo"
                r"|contacte[ns]?|contactando|molesten|molestando|escribir|contactar|molestar"
                r"|(?:mande[ns]?|envie[ns]?|sigan mandando|mandar|enviar) mensajes)\b"
                r"(?! (?:por|al|a|en) )"
            ),
            _P(
                r"\b(?:deja(?:n|d)?|dejen|para(?:n)?|paren) de (?:escribirme|mandarme|enviarme|contactarme|molestarme|escribir|mandar mensajes)\b"
            ),
            _P(
                r"\b(?:no (?:quiero|deseo|queremos) (?:recibir )?mas (?:mensajes|correos|informacion|notificaciones)|no mas mensajes"
                r"|(?:darme|dame|denme|quiero darme|me doy) de baja|borr(?:ar|en|a) mi (?:numero|informacion|datos|contacto)"
                r"|elimin(?:ar|en|a) mis datos|sacarme de (?:la|su|tu) lista|quitenme de (?:la|su) lista)\b"
            ),
            _P(r"^\W*(?:baja|alto|basta|ya basta|stop)\W*(?:por favor|porfa|gracias|ya)?\W*$"),
        ),
        (),
        (),
    ),
    Intent.ABUSIVE: (
        (
            _P(
                r"\b(?:idiotas?|estupid[oa]s?|imbeciles?|pendej[oa]s?|cabron(?:es|a)?|hij[oa]s? de (?:puta|perra)|vete a la mierda"
                r"|vayanse a la mierda|mierda|chinga\w*|pinche[s]?|malditos? (?:estafadores|ladrones)|son unos? (?:ladrones|estafadores|rateros)"
                r"|(?:eres|es usted|son) (?:un |una |unos )?(?:ladron|estafador|estafadora|fraude|payaso|inutil|inutiles))\b"
            ),
            _P(r"\b(?:te|los|las|lo) voy a (?:matar|golpear|encontrar|partir la cara)\b|\bte vas a arrepentir\b"),
        ),
        (),
        (),
    ),
    Intent.SPAM_SCAM: (
        (
            _P(
                r"\b(?:gana(?:r)? (?:dinero|\$?\d+) (?:desde casa|al dia|por semana|facil)|inversion en (?:cripto\w*|bitcoin)|oportunidad de inversion"
                r"|ingresos pasivos|trabajo desde casa|prestamos? (?:rapidos?|inmediatos?|sin buro)|reparacion de credito)\b"
            ),
            _P(
                r"\b(?:servicios? (?:de )?seo|posicionamiento web|agencia de marketing|compramos casas|vende tu casa rapido"
                r"|seguidores (?:reales|gratis)|ganaste un premio|has ganado|reclama tu premio|loteria)\b"
            ),
            _P(
                r"\b(?:estoy|me encuentro|vivo|trabajo|estamos) (?:actualmente |ahora )?(?:en el extranjero|fuera del pais|en otro pais"
                r"|embarcad[oa]|desplegad[oa]|en una plataforma petrolera)\b.{0,140}\b(?:cheque|deposito|pag\w*|dinero|agente|envi\w*|mudanza|transferencia)"
            ),
            _P(r"\b(?:mi agente de (?:mudanza|envio|transporte)|pagar(?:le)? a mi agente)\b"),
        ),
        (_P(r"\b(?:escribeme (?:por|al) (?:whatsapp|telegram)|contactame (?:por|en) (?:whatsapp|telegram|signal))\b"),),
        (),
    ),
    Intent.NOT_INTERESTED: (
        (
            _P(
                r"\b(?:ya no (?:me |nos )?interesa|no (?:me |nos )?interesa(?:n)? (?:ya|mas)|no (?:estoy|estamos) interesad[oa]s?"
                r"|ya no (?:estoy|estamos) interesad[oa]s?|ya no (?:busco|buscamos|lo necesito|lo necesitamos|necesito|necesitamos)"
                r"|ya (?:encontre|encontramos|conseguimos|consegui|rente|rentamos|alquile|alquilamos|firme|firmamos)\b"
                r"|(?:encontre|encontramos|conseguimos|consegui) (?:otro|otra|algo|un lugar|donde vivir)"
                r"|(?:decidi|decidimos) (?:no|quedarnos|quedarme|ir con|irnos con|tomar otr[oa])|cambie de (?:opinion|planes)"
                r"|cambiamos de (?:opinion|planes)|no,? gracias|mejor paso|voy a pasar|vamos a pasar|paso,? gracias"
                r"|ya no me (?:voy|vamos) a mudar|ya no nos vamos a mudar|olvid(?:alo|enlo)|no es para (?:mi|nosotros))\b"
            ),
        ),
        (_P(r"\b(?:muy (?:caro|lejos|pequeno) para (?:mi|nosotros)[,.!]* (?:gracias|lo siento|suerte|saludos))\b"),),
        (),
    ),
    Intent.CANCEL_SHOWING: (
        (
            _P(
                r"\b(?:cancelar|cancelo|cancela|anular)\b(?:\W+\w+){0,3}?\W+(?:visita|cita|recorrido|reservacion|reserva)\b"
            ),
            _P(r"\b(?:tengo|necesito|quiero|debo|voy a tener) (?:que )?cancelar\b"),
            _P(
                r"\bno (?:voy a poder|podre|podremos|vamos a poder|puedo|podemos) (?:ir|llegar|asistir|venir|ir a la (?:visita|cita))\b"
                r"(?![^.?!]{0,40}\b(?:otro|otra|cambiar|mover|reprogramar|reagendar|mas tarde|despues|manana)\b)"
            ),
        ),
        (),
        (),
    ),
    Intent.RESCHEDULE: (
        (
            _P(
                r"\b(?:reprogramar|reagendar|re-?agendar|cambiar (?:la|mi|nuestra) (?:hora|cita|visita|fecha|horario)"
                r"|mover (?:la|mi|nuestra) (?:cita|visita)|otro (?:dia|horario|momento)|otra (?:hora|fecha|cita)|otros (?:horarios|dias)"
                r"|mas tarde ese dia|mas temprano)\b"
            ),
        ),
        (),
        ("reprogramar", "reagendar"),
    ),
    Intent.SHOWING_REQUEST: (
        (
            _P(rf"\b(?:ver|visitar|conocer|mirar|recorrer)\b(?:\W+\w+){{0,3}}?\W+(?:el|la|este|esta|su|tu) {_PLACE}\b"),
            _P(
                r"\b(?:verlo|verla|visitarlo|visitarla|conocerlo|conocerla|pasar a ver|ir a ver|agendar (?:una )?(?:visita|cita)"
                r"|programar (?:una )?visita|cita para ver|recorridos?(?: virtual(?:es)?)?|videollamada|video llamada|en persona"
                r"|puedo (?:ir|pasar) a verlo)\b"
            ),
            _P(
                r"\bcuando (?:puedo|podemos|podria|podriamos|se puede) (?:ir a )?(?:ver|pasar|visitar|ir|verlo|verla)\b"
            ),
        ),
        (),
        ("visita", "visitar"),
    ),
    Intent.APPLICATION: (
        (
            _P(
                r"\b(?:solicitud|solicitar(?:lo)?|postularme|postular|como (?:aplico|solicito|lo rento|lo aparto|lo reservo|le hago)"
                r"|requisitos|que (?:documentos|papeles) (?:necesito|necesitan|piden|pide|hay que)|comprobantes? de ingresos"
                r"|historial (?:crediticio|de credito)|(?:verificacion|revision|puntaje) (?:de|del) credito|buro de credito"
                r"|aval|fiador|siguientes? pasos?|formulario)\b"
            ),
        ),
        (
            _P(
                r"\b(?:lo quiero|la quiero|me lo quedo|me la quedo|queremos rentarlo|quiero rentarlo|firmar el contrato)\b"
            ),
        ),
        ("solicitud", "requisitos"),
    ),
    Intent.AVAILABILITY: (
        (
            _P(
                r"\b(?:sigue (?:disponible|libre|en renta|vigente|activo|en alquiler)|siguen (?:rentando|alquilando)"
                r"|ya (?:se )?(?:rento|alquilo|ocupo|lo rentaron|la rentaron)|todavia (?:esta|lo tienen|la tienen|lo rentan)"
                r"|aun (?:esta|lo tienen|la tienen|sigue)|esta (?:ocupado|ocupada|rentado|rentada)|tienen (?:disponibilidad|algo disponible)"
                r"|hay disponibilidad|disponibilidad)\b"
            ),
        ),
        (),
        ("disponible",),
    ),
    Intent.PRICE: (
        (
            _P(
                r"\b(?:cuanto (?:cobran|piden|sale|seria|pagaria|es de renta|de renta|de deposito|es el deposito|es la renta|cuesta)"
                r"|la renta|el alquiler|mensualidad|deposito|costo|servicios incluidos|incluye (?:los )?servicios|negociable"
                r"|mas barato|rebaja|descuento|precio)\b"
            ),
        ),
        (_P(r"\b(?:renta|alquiler|presupuesto|caro)\b"),),
        ("precio", "deposito", "mensualidad"),
    ),
    Intent.MOVE_IN_DATE: (
        (
            _P(
                r"\b(?:mudanza|me mudo|nos mudamos|mudarme|mudarnos|mudarse|cuando (?:me puedo|puedo|podria|podemos|podriamos|nos podemos)"
                r" (?:mudar|entrar|recibir las llaves)|fecha de (?:mudanza|ingreso|inicio|entrada)|entrar a vivir|a partir de cuando"
                r"|las llaves)\b"
            ),
        ),
        (
            _P(
                r"\b(?:necesito|necesitamos) (?:un lugar|algo|donde vivir|vivienda) (?:para|desde|a partir|antes)|me voy a mudar|nos vamos a mudar\b"
            ),
        ),
        ("mudanza",),
    ),
    Intent.PETS: (
        (
            _P(
                r"\b(?:mascotas?|perr(?:o|a|os|as|ito|ita|itos|itas)|gat(?:o|a|os|as|ito|ita|itos|itas)|animal(?:es|ito|itos)?"
                r"|cachorr[oa]s?|pajar(?:o|os|ito)|peces|pecera|conejos?|hamsters?|tortugas?|huron(?:es)?|apoyo emocional|perro de servicio)\b"
            ),
        ),
        (),
        ("mascotas", "mascota"),
    ),
    Intent.PARKING: (
        (
            _P(
                r"\b(?:estacionamiento|aparcamiento|parqueo|parqueadero|cochera|garaje|cajon de estacionamiento|estacionar(?:me|se)?"
                r"|parquear|lugar para (?:el|mi|un) (?:carro|coche|auto|vehiculo|camioneta|moto)"
                r"|donde (?:dejar|guardar|poner) (?:el|la|mi|un|una) (?:carro|coche|auto|vehiculo|camioneta|moto|bici|bicicleta))\b"
            ),
        ),
        (_P(r"\b(?:tengo|tenemos) (?:un |dos |2 )?(?:carro|coche|auto|autos|carros|camioneta)\b"),),
        ("estacionamiento", "cochera"),
    ),
    Intent.LEASE_TERMS: (
        (
            _P(
                r"\b(?:contrato|plazo (?:minimo|del contrato|de renta)|mes a mes|por meses|corto plazo|largo plazo|\d{1,2} meses"
                r"|(?:seis|doce|tres) meses|un ano|subarrendar|subarriendo|subalquilar|amueblado|amueblada|sin amueblar|sin muebles"
                r"|con muebles|companeros? de cuarto|roomies?|renovar|renovacion|cuanto tiempo (?:es|dura|minimo))\b"
            ),
        ),
        (_P(r"\b(?:meses|ano)\b"),),
        ("contrato", "amueblado"),
    ),
    Intent.OFF_TOPIC: (
        (
            _P(
                r"\b(?:eres (?:un |una )?(?:bot|robot|humano|persona real|ia|maquina)|es (?:un )?(?:bot|robot|contestador automatico)"
                r"|(?:una persona|un humano|alguien) o (?:una |un )?(?:maquina|bot|robot|programa)|cuentame un chiste|que tal el clima|como esta el clima|quien gano el partido|quieres salir conmigo)\b"
            ),
        ),
        (),
        (),
    ),
}

#: A Spanish greeting alone ("Hola, ¿qué tal?", "buenas tardes").
GREETING_ONLY_ES = _P(
    r"^\W*(?:(?:hola|holi|buenas|buen dia|buenos dias|buenas tardes|buenas noches|saludos|que tal|como (?:estas|esta|estan)"
    r"|senor|senora|amigo|amiga)[\s,!.¡¿?:)\-]*)+$"
)
#: Thanks or an acknowledgement alone ("ok, gracias", "perfecto").
THANKS_ES = _P(r"\b(?:gracias|muchas gracias|mil gracias|vale|perfecto|genial|listo|entendido|de acuerdo|excelente)\b")
#: The renter's answer to "are you still coming?" in Spanish.
CONFIRMS_ES = _P(
    r"^\W*(?:si|claro|por supuesto|confirmo|confirmado|de acuerdo|vale|correcto)\b"
    r"|\b(?:ahi (?:estare|estaremos|nos vemos)|alli (?:estare|estaremos)|nos vemos (?:entonces|alla|ahi|manana|pronto|el)"
    r"|sigue en pie|(?:lo |la )?confirmo|cuenten conmigo|cuenta conmigo|sin falta|ahi llego)\b"
)
#: After the showing's start: the renter missed it, or it took place.
MISSED_ES = _P(
    r"\b(?:no (?:pude|pudimos|alcance|alcanzamos|llegue|llegamos) (?:a )?(?:ir|llegar|asistir|la visita|a tiempo)?|se me (?:olvido|paso)"
    r"|me quede dormid[oa]|perdi la (?:cita|visita)|no llegue|me retrase|no me presente)\b"
)
ATTENDED_ES = _P(
    r"\b(?:gracias por (?:la visita|mostrarme|ensenarme|el recorrido|su tiempo|tu tiempo|recibirme)"
    r"|me (?:encanto|gusto) (?:el |la )?(?:lugar|depa|departamento|apartamento|casa|cuarto|visita|mucho)|fue un gusto conocer)\b"
)
#: Topics a person answers (legal, safety, emergencies, fraud), in Spanish.
HIGH_RISK_ES = _P(
    r"\b(?:abogad[oa]s?|demanda(?:r|re|remos)?|denuncia(?:r|re)?|discrimina\w*|vivienda justa|derechos humanos|policia"
    r"|acoso|acosa\w*|desalojo|desalojar|tribunal|juzgado|emergencia|incendio|fuga de gas|inundacion|inundado"
    r"|monoxido|lesion\w*|herid[oa]s?|agresion|suicid\w*|violencia domestica|me estafaron|fraude|robaron|reembolso|devuelvan mi dinero)\b"
)
