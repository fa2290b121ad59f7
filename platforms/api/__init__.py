"""The platforms app's part of /api/v1/."""
