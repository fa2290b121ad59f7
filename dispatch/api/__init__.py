"""The dispatch app's part of /api/v1/."""
