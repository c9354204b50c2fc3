"""Load for the real-systemd tests, run inside the container: HTTP clients
that never retry, on one kept-alive connection each (replaced only after an
answer with Connection: close, or a failure) and on a new connection per
request, asking GET URL until the file STOP exists. Prints what they saw
as JSON: {"keepalive": [answered, failed], "new": [...], "errors": [...]}.

    python3 keepalive_load.py http://127.0.0.1:PORT/ STOP"""

import http.client
import json
import os
import sys
import threading
import urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
stop = sys.argv[2]
counts = {"keepalive": [0, 0], "new": [0, 0]}
errors = []
lock = threading.Lock()


def client(kind):
    conn = None
    answered = failed = 0
    while not os.path.exists(stop):
        try:
            if conn is None:
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            conn.request("GET", url.path or "/")
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError("status %d" % resp.status)
            answered += 1
            if resp.will_close or kind == "new":
                conn.close()
                conn = None
        except Exception as e:
            failed += 1
            with lock:
                if len(errors) < 10:
                    errors.append("%s: %r" % (kind, e))
            if conn is not None:
                conn.close()
            conn = None
    with lock:
        counts[kind][0] += answered
        counts[kind][1] += failed


threads = [threading.Thread(target=client, args=(kind,)) for kind in ("keepalive",) * 4 + ("new",) * 2]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(dict(counts, errors=errors)))
