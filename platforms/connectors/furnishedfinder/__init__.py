"""Furnished Finder connector: passwordless login by e-mailed code, the older landlord inbox."""
