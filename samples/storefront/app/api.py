"""api: the catalog API. Calls the inventory backend by its cluster name, authenticated
with a token it reads from a Secret through an environment variable."""

import os
import signal
import sys

from common import call, log, serve

INVENTORY_URL = os.environ.get("INVENTORY_URL", "http://inventory:8080")
TOKEN = os.environ.get("INVENTORY_TOKEN", "")


def catalog(headers):
    stock = call(f"{INVENTORY_URL}/stock", headers, {"Authorization": f"Bearer {TOKEN}"})
    return 200, {
        "version": os.environ.get("API_VERSION", "1"),
        "currency": os.environ.get("CATALOG_CURRENCY", "unset"),
        "inventory": stock,
    }


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
log(f"api calls the inventory at {INVENTORY_URL} (token {'set' if TOKEN else 'missing'})")
serve("api", {"/api/catalog": catalog})
