"""Roomies connector: locators, parsing of Alpine component data, and the connector class."""
