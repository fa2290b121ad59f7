"""Lock order of the inbox services (STYLE.md: several rows are locked in one fixed order).

1. ``Conversation`` rows, ``SELECT ... FOR UPDATE``, by ascending pk (one per service call
   in practice; ``followups_due`` takes them one at a time with ``SKIP LOCKED``).
2. The per-agent booking lock: ``pg_advisory_xact_lock(BOOKING_LOCK_NAMESPACE, agent_id)``,
   by ascending agent id when a reschedule touches two agents.
3. ``Showing`` rows, ``SELECT ... FOR UPDATE``, by ascending pk.

Every path takes them in this order, so two services can never wait on each other in a
cycle. The advisory lock serialises bookings of one agent (it makes group-size and buffer
checks exact); the exclusion constraints ``showing_agent_no_overlap_*`` are the guarantee that
holds even for code that skips the service. The trigger ``inbox_showing_group_size`` takes the
same lock on every insert of a booked showing (migration 0027), then the unit's row, so
overlapping inserts past the service also run in turn and meet the constraint rather than a
deadlock.
"""

#: First key of the two-key advisory lock taken per agent while booking ("LBSH").
BOOKING_LOCK_NAMESPACE = 0x4C425348 & 0x7FFFFFFF
