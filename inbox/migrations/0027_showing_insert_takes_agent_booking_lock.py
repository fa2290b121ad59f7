"""Inserting a booked showing takes its agent's booking lock, whatever path the insert takes.

Two transactions that insert overlapping showings of one agent at the same instant, past the
booking service's advisory lock (the admin, a script, the service with its lock switched off),
each find the other's uncommitted row under the exclusion constraint and wait for each other:
PostgreSQL's deadlock detector then aborts one with "deadlock detected" (an OperationalError, a
5xx) instead of the constraint's violation. The trigger that keeps a group's size now takes the
same advisory lock as ``inbox.showings`` (namespace ``inbox.lock_objects.BOOKING_LOCK_NAMESPACE``,
0x4C425348, agent id masked to 31 bits) before an insert, so such inserts run in turn and the
second is refused by the constraint (an IntegrityError, which the service turns into a 409).

The lock is taken on INSERT only, before the unit's row (lock order: agent, then unit). An UPDATE
already holds the showing's row when the trigger runs, and the service takes the agent lock
before that row, so taking it there could close a cycle with a reschedule.
"""

from django.db import migrations

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION inbox_showing_group_size() RETURNS trigger AS $$
DECLARE
    size integer;
    taken integer;
BEGIN
    IF NEW.status <> 'booked' THEN
        RETURN NEW;
    END IF;%s
    SELECT showing_group_size INTO size FROM inbox_unit WHERE id = NEW.unit_id FOR UPDATE;
    SELECT count(*) INTO taken FROM inbox_showing
        WHERE unit_id = NEW.unit_id AND agent_id = NEW.agent_id AND status = 'booked'
          AND starts_at = NEW.starts_at AND ends_at = NEW.ends_at AND id <> COALESCE(NEW.id, -1);
    IF taken >= size THEN
        RAISE EXCEPTION 'showing of unit %% at %% is full (%% of %%)', NEW.unit_id, NEW.starts_at, taken, size
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'showing_group_size';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
AGENT_LOCK_SQL = """
    IF TG_OP = 'INSERT' THEN
        PERFORM pg_advisory_xact_lock(1279415112, (NEW.agent_id::bigint & 2147483647)::integer);
    END IF;"""


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0026_message_direction_sent_at_index"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION_SQL % AGENT_LOCK_SQL, FUNCTION_SQL % ""),
    ]
