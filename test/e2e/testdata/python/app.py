# A Python worker that answers GET / with who it is. Run as a script, in
# one of three ways:
#   plain  http.server's ThreadingHTTPServer on fd 3, HTTP/1.1 with
#          keep-alive, nothing for SIGTERM (Python's default ends it)
#   http   the same handler served by poold.serve_http
#   wsgi   the WSGI app below served by poold.serve_wsgi
# poold.py comes from $PYTHONPATH (the repository's python/). As a module,
# app:app is the WSGI app for gunicorn and app:asgi the ASGI app for
# uvicorn.
import http.server
import json
import os
import socket
import sys
import wsgiref.simple_server

ME = json.dumps({
    "pid": os.getpid(),
    "slot": os.environ.get("POOLD_SLOT", ""),
    "generation": os.environ.get("POOLD_GENERATION", ""),
    "listen_pid": os.environ.get("LISTEN_PID", ""),
    "notify_socket": os.environ.get("NOTIFY_SOCKET", ""),
}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ME)))
        self.end_headers()
        self.wfile.write(ME)

    def log_message(self, format, *args):
        pass


class QuietWSGIHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(ME)))])
    return [ME]


async def asgi(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            event = (await receive())["type"]
            await send({"type": event + ".complete"})
            if event == "lifespan.shutdown":
                return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(ME)).encode())]})
    await send({"type": "http.response.body", "body": ME})


def plain():
    server = http.server.ThreadingHTTPServer(("", 0), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = socket.socket(fileno=3)
    server.serve_forever()


def main(mode):
    if mode == "plain":
        plain()
        return
    import poold
    if mode == "http":
        drained = poold.serve_http(Handler)
    else:
        drained = poold.serve_wsgi(app, handler_class=QuietWSGIHandler)
    sys.exit(0 if drained else 1)


if __name__ == "__main__":
    main(sys.argv[1])
