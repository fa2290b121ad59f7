"""RentHop connector: locators, parsing and the connector class."""
