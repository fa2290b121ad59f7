"""How the replicas show message text: the plain profile byte for byte, and each realism trait."""

from __future__ import annotations

import json
import os

import pytest

from tests.platforms.sandbox.pages import GOLDEN, build_sites, pin_randomness, plain_pages


def test_plain_profile_pages_match_the_snapshot_byte_for_byte(monkeypatch):
    pin_randomness(monkeypatch)
    pages = plain_pages(build_sites())
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(pages, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        pytest.skip("snapshot rewritten")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(pages) == sorted(expected)
    for key, html in pages.items():
        assert html == expected[key], key
