"""Services of the Government of Rajasthan's departments and utilities."""
