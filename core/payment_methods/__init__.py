"""The payment methods shipped with emitra, each a plugin (entry-point group ``emitra``)."""
