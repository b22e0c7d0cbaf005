"""The emitra core: registration, fee rules, the ledger, the plugin manager and its hook specs.

A plugin needs one import::

    from emitra.core import hookimpl, Service, FeeRule, Payer, Domain, Category
"""

from emitra.core.hookspecs import hookimpl
from emitra.core.services import (
    Category,
    Domain,
    FeeRule,
    FieldError,
    Payer,
    Quote,
    Service,
    Workflow,
)

__all__ = [
    "Category",
    "Domain",
    "FeeRule",
    "FieldError",
    "Payer",
    "Quote",
    "Service",
    "Workflow",
    "hookimpl",
]
