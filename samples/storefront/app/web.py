"""web: the storefront's front end. Greets with the text of a ConfigMap-mounted file and
shows what the api service answers."""

import os
import signal
import sys

from common import call, log, mounted, serve

API_URL = os.environ.get("API_URL", "http://api:8080")
GREETING_FILE = os.environ.get("GREETING_FILE", "/etc/storefront/greeting.txt")


def greeting():
    try:
        with open(mounted(GREETING_FILE)) as file:
            return file.read().strip()
    except OSError as error:
        return f"(no greeting: {error})"


def index(headers):
    catalog = call(f"{API_URL}/api/catalog", headers)
    return 200, {"greeting": greeting(), "api": catalog}


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
log(f"web calls the api at {API_URL}")
serve("web", {"/": index})
