"""The rollout app's part of /api/v1/."""
