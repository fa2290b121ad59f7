"""The inbox app's part of /api/v1/."""
