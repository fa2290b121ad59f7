"""The rollout history: every stage change, who made it and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from platforms.choices import RolloutStage


class StageChange(models.Model):
    """One move between shadow, canary and full, with the gate figures it was judged on."""

    from_stage = models.CharField(max_length=16, choices=RolloutStage.choices)
    to_stage = models.CharField(max_length=16, choices=RolloutStage.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    forced = models.BooleanField(default=False)
    automatic = models.BooleanField(default=False)
    gate_figures = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(condition=Q(from_stage__in=RolloutStage.values), name="stagechange_from_valid"),
            models.CheckConstraint(condition=Q(to_stage__in=RolloutStage.values), name="stagechange_to_valid"),
            models.CheckConstraint(condition=~Q(forced=True) | ~Q(reason=""), name="stagechange_forced_has_reason"),
        )

    def __str__(self) -> str:
        return f"{self.from_stage} -> {self.to_stage} by {self.actor_label}"
