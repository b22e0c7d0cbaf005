"""emitra: a multi-service, single-window framework for citizen service counters.

Installed, this folder is the ``emitra`` package; ``emitra.core``, ``emitra.web``,
``emitra.policy`` and ``emitra.plugins`` are its subpackages.
"""

__version__ = "0.1.0"
