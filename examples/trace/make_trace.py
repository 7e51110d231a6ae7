"""Regenerate `shop-outage.json`: the example shop failing, traced with the OpenTelemetry SDK.

    pip install "errlint[test]"        # opentelemetry-sdk and opentelemetry-exporter-otlp-proto-common
    python examples/trace/make_trace.py

What happens: `POST /orders` runs the shop's real code (`shop.api.create_order`): the stock is
reserved, then `shop.billing.charge` calls the payment provider, whose database pool is
exhausted: after 1.5 s it answers 503. `charge` turns the `HTTPError` into a bare
`Exception("payment failed")`, and `create_order` catches that, logs `str(e)` and answers 500.
A second order twenty seconds later fails the same way.

What is simulated (`standins.py`): Flask, requests and PyJWT, the auto-instrumentation (a server
span per route, a span per billing/inventory call, a client span per HTTP request) and the payment
provider, whose span and stack trace are written there as if they came from its own service. The
clock and the ids are fixed and the stack traces lose Python's `^^^^` marker lines, so every run
writes the same file. Paths are recorded as deployed: the examples folder under `/srv/shop/`,
the stand-ins as installed packages; `errlint review --trace` resolves them against the
repository root it is given.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.trace import SpanKind

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent
DEPLOYED = "/srv/shop/"  # where the shop runs in this story: examples/ is deployed there
INSTALLED = "/srv/shop/.venv/lib/python3.12/site-packages/"
_CARETS_RE = re.compile(r"(?m)^[ ~^]*\^[ ~^]*\n")


def main() -> None:
    sys.path[:0] = [str(EXAMPLES), str(HERE)]
    import standins

    sys.modules.update(requests=standins.requests, flask=standins.flask, jwt=standins.jwt)
    logging.getLogger("shop").addHandler(logging.NullHandler())  # the shop's logs are not this script's output
    logging.getLogger("shop").propagate = False
    from shop import api, billing, inventory

    traced = standins.traced
    inventory._STOCK.update({"sku-1": 10})
    reserve = traced("inventory.reserve")(inventory.reserve)

    class Order(str):
        id = "A-1001"
        total = 42

    def reserve_order(sku: str, quantity: int) -> Order:
        standins.tick(2)
        return Order(reserve(sku, quantity))  # the shop's reserve returns the sku; api wants an order

    inventory.reserve = reserve_order
    billing.charge = traced("billing.charge")(billing.charge)
    create_order = traced("POST /orders", SpanKind.SERVER, **{
        "http.route": "/orders", "http.request.method": "POST", "enduser.id": "jane.doe@example.com"})(api.create_order)
    for order_id, card in (("A-1001", "4111 1111 1111 1111"), ("A-1002", "5555 5555 5555 4444")):
        Order.id = order_id
        standins.flask.request.payload = {"sku": "sku-1", "quantity": 1, "card_number": card}
        create_order()
        standins.tick(20_000)
    spans = standins.EXPORTER.get_finished_spans()
    document = _hex_ids(MessageToDict(encode_spans(spans)))
    text = json.dumps(document, indent=1, sort_keys=True)
    text = text.replace(str(HERE / "standins.py"), INSTALLED + "standins.py").replace(str(EXAMPLES) + "/", DEPLOYED)
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "shop-outage.json"
    target.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {target}: {len(spans)} spans")


def _hex_ids(node: Any) -> Any:
    """protobuf's JSON mapping writes bytes as base64; OTLP/JSON wants the ids in hex. Python's
    `^^^^` marker lines (3.11+) are dropped from stack traces so every Python writes the same file."""
    if isinstance(node, dict):
        if node.get("key") == "exception.stacktrace":
            value = node["value"]["stringValue"]
            return {"key": node["key"], "value": {"stringValue": _CARETS_RE.sub("", value)}}
        return {k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId") and v else _hex_ids(v))
                for k, v in node.items()}  # fmt: skip
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


if __name__ == "__main__":
    main()
