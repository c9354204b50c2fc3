"""A Python web app that runs under poold, with poold.py (the standard
library only): it serves the pool's socket, says READY=1, sends heartbeats
when poold asks for them, and drains on SIGTERM, so that reloads fail no
request. Without poold it serves 127.0.0.1:8000 alone.

    PYTHONPATH=python bin/poold --listen 127.0.0.1:8000 --workers 4 -- python3 examples/python-worker/app.py
    curl -s 127.0.0.1:8000/

(With poold's package installed, poold.py is in Python's path already.)
"""

import http.server
import json
import os
import sys

import poold

ME = json.dumps({"pid": os.getpid(), "slot": os.environ.get("POOLD_SLOT"),
                 "generation": os.environ.get("POOLD_GENERATION")}).encode() + b"\n"


class Hello(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: poold.serve drains it

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ME)))
        self.end_headers()
        self.wfile.write(ME)

    def log_message(self, format, *args):
        pass  # no line per request in the journal


# A WSGI app (Flask, Django, ...) instead: poold.serve_wsgi(app, ("127.0.0.1", 8000)).
sys.exit(0 if poold.serve_http(Hello, ("127.0.0.1", 8000)) else 1)
