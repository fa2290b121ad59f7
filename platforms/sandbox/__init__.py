"""Local replicas of the five platforms, for development, tests and the demo.

The real sites cannot be reached from here, so each replica models its platform's
landlord side (login, paginated inbox, threads, reply box, listing pages) as far as
public material shows; ``docs/platforms.md`` says what is observed and what is modelled.
No database: state lives in memory (:mod:`platforms.sandbox.state`).
"""
