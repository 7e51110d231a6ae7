"""Domain errors: one class per failure a caller can act on."""


class ShopError(Exception):
    """Base class of every error this service raises on purpose."""


class PaymentDeclined(ShopError):
    """The card issuer declined the charge: the customer must use another card."""


class PaymentUnavailable(ShopError):
    """The payment provider could not be reached: retry later, not the customer's fault."""


class OutOfStock(ShopError):
    """Not enough units of a product to fill the order."""
