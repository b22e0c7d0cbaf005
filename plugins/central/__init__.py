"""Services of Government of India offices (passport, PAN ...)."""
