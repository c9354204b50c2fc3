"""Load for the real-systemd tests, run inside the container: THREADS HTTP
clients that never retry, each asking GET URL on a new connection per
request, until the file STOP exists. Every 0.1 s it writes the number of
answers so far to PROGRESS; at the end it prints what the clients saw as
JSON: {"answered": N, "failed": N, "reset": N, "errors": [...]}, reset
counting the failures that were connection resets.

    python3 newconn_load.py http://127.0.0.1:PORT/ STOP PROGRESS THREADS"""

import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
stop, progress, threads = sys.argv[2], sys.argv[3], int(sys.argv[4])
counts = {"answered": 0, "failed": 0, "reset": 0}
errors = []
lock = threading.Lock()


def client():
    while not os.path.exists(stop):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        try:
            conn.request("GET", url.path or "/")
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError("status %d" % resp.status)
            with lock:
                counts["answered"] += 1
        except Exception as e:
            with lock:
                counts["failed"] += 1
                if isinstance(e, ConnectionResetError):
                    counts["reset"] += 1
                if len(errors) < 10:
                    errors.append(repr(e))
        finally:
            conn.close()


workers = [threading.Thread(target=client) for _ in range(threads)]
for w in workers:
    w.start()
while any(w.is_alive() for w in workers):
    with lock:
        answered = counts["answered"]
    with open(progress + ".new", "w") as f:
        f.write(str(answered))
    os.rename(progress + ".new", progress)
    time.sleep(0.1)
print(json.dumps(dict(counts, errors=errors)))
