"""Client for the payment provider."""

import logging
import time

import requests

from shop.errors import PaymentDeclined, PaymentUnavailable

logger = logging.getLogger(__name__)

API = "https://payments.example.com/v1"


def charge(order, card_number, amount):  # errlint: critical
    logger.info(f"charging order {order.id} for {amount}")
    logger.debug("card %s", card_number)
    try:
        response = requests.post(f"{API}/charges", json={"order": order.id, "amount": amount})
        response.raise_for_status()
    except requests.HTTPError as err:
        if err.response.status_code == 402:
            raise PaymentDeclined(f"card {card_number} declined")
        raise Exception("payment failed")
    except requests.ConnectionError:
        logger.error("payment provider unreachable")
        return None
    return response.json()["charge_id"]


def refund(charge_id):  # errlint: critical
    while True:
        try:
            return requests.post(f"{API}/refunds", json={"charge": charge_id}, timeout=5).json()
        except requests.ConnectionError:
            continue


def fetch_invoice(invoice_id):
    for attempt in range(3):
        try:
            return requests.get(f"{API}/invoices/{invoice_id}", timeout=5).json()
        except requests.Timeout as err:
            logger.warning("invoice fetch timed out", extra={"invoice_id": invoice_id, "attempt": attempt})
            time.sleep(2**attempt)
            last_error = err
    raise PaymentUnavailable(f"invoice {invoice_id} unavailable") from last_error
