"""Background worker: sends receipts and syncs stock."""

import asyncio
import logging
import smtplib

from shop import inventory

logger = logging.getLogger(__name__)


def send_receipt(order, email, password):
    try:
        server = smtplib.SMTP("mail.example.com")
        server.login("shop", password)
        server.sendmail("shop@example.com", email, f"Thanks for order {order.id}")
    except Exception:
        pass


def sync_stock(items):
    for item in items:
        try:
            inventory.sync(item)
        except Exception as err:
            logger.error("error")
            print(err)


def close_batch(batch):
    try:
        batch.commit()
    finally:
        return batch.id


def load_config(path):
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        raise ValueError()


async def on_order_paid(order):
    asyncio.create_task(notify_warehouse(order))
    logger.info("order paid", extra={"order_id": order.id})


async def notify_warehouse(order):
    try:
        await inventory.notify(order)
    except ConnectionError as err:
        raise err
