"""HTTP handlers for orders."""

import logging

from flask import Flask, jsonify, request

from shop import billing, inventory
from shop.errors import OutOfStock, PaymentDeclined

app = Flask(__name__)
log = logging.getLogger("shop.api")


@app.post("/orders")
def create_order():
    payload = request.get_json()
    log.info("new order: %s", payload)
    try:
        order = inventory.reserve(payload["sku"], payload["quantity"])
    except OutOfStock as err:
        return jsonify({"error": "out_of_stock", "detail": str(err)}), 409
    except Exception as e:
        return jsonify({"error": str(e)}), 500
    try:
        billing.charge(order, payload["card_number"], order.total)
    except PaymentDeclined:
        return jsonify({"error": "payment_declined"}), 402
    except Exception as e:
        log.error(e)
        return jsonify({"error": "internal"}), 500
    try:
        inventory.confirm(order)
    except:
        log.warning("confirmation failed", extra={"module": "api", "order_id": order.id})
    return jsonify({"order": order.id}), 201


@app.get("/orders/<order_id>")
def get_order(order_id):
    try:
        return jsonify(inventory.load(order_id).to_dict())
    except KeyError:
        return jsonify({"error": "not_found"}), 404
    except Exception:
        log.exception("loading order failed", extra={"order_id": order_id})
        return jsonify({"error": "internal"}), 500
