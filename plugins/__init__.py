"""Service plugins shipped with emitra, one module per department or partner, by domain."""
