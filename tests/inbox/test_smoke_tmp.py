import time_machine
from inbox.services import inbound_decide
from tests.inbox.conftest import MONDAY_0800_NY

def test_smoke(world, auto_send):
    with time_machine.travel(MONDAY_0800_NY, tick=False):
        m = world.inbound("Hi! Is the apartment still available? How much is the rent? I have a cat.")
        d = inbound_decide(message_id=m.pk)
        print(d.intent, d.intents, d.confidence, d.reason_codes, d.templates_used)
        print(d.reply_text)
        print(d.outbound.first().status, d.outbound.first().hold_reasons)
        m.conversation.refresh_from_db()
        print(m.conversation.workflow_outcome, m.conversation.showing_state, m.conversation.lead_profile, m.conversation.next_follow_up_at)
        m2 = world.inbound("2 works for me", conversation=m.conversation)
        d2 = inbound_decide(message_id=m2.pk)
        print(d2.intent, d2.reason_codes, d2.reply_text)
        assert inbound_decide(message_id=m2.pk).pk == d2.pk
