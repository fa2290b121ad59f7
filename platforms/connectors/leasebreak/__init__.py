"""Leasebreak connector: locators, parsing and the connector class."""
