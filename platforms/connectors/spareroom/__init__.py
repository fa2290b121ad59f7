"""SpareRoom connector: locators, parsing and the connector class."""
