"""Cash at the counter: received when the receipt prints; in the drawer until the day end."""

from emitra.core import hookimpl
from emitra.core.payments import PaymentMethod


@hookimpl
def emitra_register_payment_methods(register):
    register(PaymentMethod(code="cash", title_en="Cash", title_hi="नकद", immediate=True, post_on_start=True))
