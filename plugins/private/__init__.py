"""Services of private partners (insurance, telecom, tickets ...)."""
