"""The agents' review UI, served by Django, using only the API."""
