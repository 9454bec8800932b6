"""inventory: the backend. Serves the stock listed in a ConfigMap-mounted file, to callers
that present the shared token from the Secret."""

import json
import os
import signal
import sys

from common import log, mounted, serve

ITEMS_FILE = os.environ.get("ITEMS_FILE", "/etc/inventory/items.json")
TOKEN = os.environ.get("INVENTORY_TOKEN", "")


def stock(headers):
    if TOKEN and headers.get("Authorization") != f"Bearer {TOKEN}":
        return 401, {"error": "wrong or missing token"}
    try:
        with open(mounted(ITEMS_FILE)) as file:
            items = json.load(file)
    except (OSError, ValueError) as error:
        return 500, {"error": f"cannot read {ITEMS_FILE}: {error}"}
    return 200, {"items": items}


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
log(f"inventory serves {ITEMS_FILE}")
serve("inventory", {"/stock": stock})
