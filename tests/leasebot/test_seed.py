"""Reference data survives a transactional test's flush (re-seeded through post_migrate)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django_celery_beat.models import PeriodicTask

from platforms.models import BotSettings, Platform


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_sees_the_reference_data() -> None:
    assert Platform.objects.count() == 5
    assert BotSettings.objects.count() == 1
    assert set(Group.objects.values_list("name", flat=True)) >= {"admin", "agent", "ops"}
    assert Group.objects.get(name="admin").permissions.filter(codename="change_platformaccount").exists()
    assert PeriodicTask.objects.filter(task="dispatch.send_platform").count() == 5
    from inbox.models import ReplyTemplate

    assert ReplyTemplate.objects.filter(key="availability", is_active=True).exists()


@pytest.mark.django_db(transaction=True)
def test_and_so_does_the_next_one() -> None:
    test_a_transactional_test_sees_the_reference_data()


@pytest.mark.django_db
def test_seed_keeps_an_admins_schedule_change() -> None:
    from django.apps import apps

    from leasebot.seed import seed_reference_data

    PeriodicTask.objects.filter(name="dispatch.send_platform:roomies").update(enabled=False)
    seed_reference_data(apps)
    assert not PeriodicTask.objects.get(name="dispatch.send_platform:roomies").enabled
