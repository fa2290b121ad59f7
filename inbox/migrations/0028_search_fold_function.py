"""``inbox_fold(text)``: capitals without accents, for a conversation search that finds "José" as "jose".

PostgreSQL's ``unaccent`` ships with it (contrib) and is a trusted extension (13+): the database
owner may create it, as ``pg_trgm`` (0013). ``unaccent`` itself is only STABLE (its rules file
could change), so an index cannot hold it; the wrapper names the dictionary and is declared
IMMUTABLE, the form PostgreSQL's documentation of the extension gives for indexing. The
function names the schema the extension was installed in, so it does not depend on the
search_path of whoever runs a query.
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

DROP_SQL = "DROP FUNCTION IF EXISTS inbox_fold(text)"


def create_fold(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'")
        (schema,) = cursor.fetchone()
    name = f"{schema}.unaccent"  # regnamespace::text is already quoted where it needs to be.
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION inbox_fold(text) RETURNS text"
        " LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE"
        f" AS $$ SELECT upper({name}('{name}'::regdictionary, $1)) $$"
    )


def drop_fold(apps, schema_editor):
    schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0027_showing_insert_takes_agent_booking_lock"),
    ]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(create_fold, drop_fold),
    ]
