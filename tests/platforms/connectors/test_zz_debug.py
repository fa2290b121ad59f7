import pytest
from django.db import connection
from platforms.models import Platform
pytestmark = [pytest.mark.django_db]

def test_dbg(browser_runtime, sandbox):
    print("before", id(connection._connections), connection.connection)
    a = Platform.objects.count()
    page = browser_runtime.page("x", 1)
    page.goto(sandbox.url)
    import asyncio
    try:
        print("loop", asyncio.get_running_loop())
    except RuntimeError as e:
        print("no loop", e)
    from django.db import connections
    print("after", connections["default"], connection.connection, connections["default"].in_atomic_block)
    b = Platform.objects.count()
    print(a, b)
