"""A Python worker's side of poold: the pool's sockets, notifications, and
a drain on SIGTERM that fails no request.

Standard library only, Python 3.7 and later; it runs without poold too (on
a laptop the servers bind their address, and Ctrl-C drains the same way).
See docs/python.md in poold's repository.

    import http.server, poold

    class Hello(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_GET(self):
            body = b"hello\\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    poold.serve_http(Hello, ("127.0.0.1", 8000))   # or poold.serve_wsgi(app, ...)

From SIGTERM (or SIGINT) on, serve() stops accepting (connections not
accepted yet stay queued on the shared socket for the pool's other
workers), answers every request it has read or reads, each with
Connection: close, closes a connection without a request in flight once it
has been idle for IDLE_GRACE seconds, and returns once every connection has
ended: True, or False when it had to close connections still busy, 1 s
before poold's SIGKILL (POOLD_STOP_TIMEOUT_MS; at 90% of it under 10 s).
"""

import http.server
import os
import signal
import socket
import socketserver
import sys
import threading
import time
import wsgiref.simple_server

__all__ = ["IDLE_GRACE", "listen_fds", "listen_fds_with_names", "listen_sockets", "notify", "http_server", "wsgi_server",
           "serve", "serve_http", "serve_wsgi"]

# IDLE_GRACE is how long, in seconds, a connection without a request in
# flight stays open once draining: a client that sends its next request
# within it is answered instead of finding the connection closed. A
# connection accepted but not read from yet counts as idle since its
# accept. The same as poold's Node.js preload and Go package.
IDLE_GRACE = 1.0

_FIRST_FD = 3
_NOTIFY_TIMEOUT = 1.0  # a receiver that does not read must not stop us for long

_passed = None  # [(fd, name)], taken once
_passed_lock = threading.Lock()


def listen_fds():
    """The fds of the sockets passed to this process (its PID in
    LISTEN_PID), in order; [] when none. As python-systemd's, but the
    first call of either function takes them, and later calls return the
    same: it unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, so that
    programs this one starts do not take them, and makes the fds
    close-on-exec."""
    return [fd for fd, _ in _passed_fds()]


def listen_fds_with_names():
    """{fd: name} of the passed sockets, as listen_fds() says; a socket
    LISTEN_FDNAMES does not name is "unknown"."""
    return dict(_passed_fds())


def _passed_fds():
    global _passed
    with _passed_lock:
        if _passed is None:
            _passed = _take_passed(os.environ, os.getpid())
        return list(_passed)


def _take_passed(env, pid):
    passed = _parse_listen_env(env, pid)
    for key in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        env.pop(key, None)
    for fd, _ in passed:
        os.set_inheritable(fd, False)
    return passed


def _parse_listen_env(env, pid):
    """[(fd, name)] of the sockets the sd_listen_fds(3) variables in env
    pass to the process pid."""
    try:
        if int(env.get("LISTEN_PID", "")) != pid:
            return []
        n = int(env.get("LISTEN_FDS", ""))
    except ValueError:
        return []
    names = env.get("LISTEN_FDNAMES", "").split(":")
    if len(names) != n:
        names = [""] * n
    return [(_FIRST_FD + i, name or "unknown") for i, name in enumerate(names[:max(n, 0)])]


def listen_sockets():
    """[(name, socket.socket)] for the passed sockets: new socket objects
    at every call, each on a copy of its fd, so that closing one leaves the
    socket open for the pool's other workers."""
    return [(name, socket.socket(fileno=os.dup(fd))) for fd, name in _passed_fds()]


def notify(state):
    """Sends state, sd_notify(3) assignments separated by newlines (such as
    "READY=1\\nSTATUS=warming the cache"), to NOTIFY_SOCKET: poold's for a
    worker, systemd's for a service. Returns False without NOTIFY_SOCKET,
    True once sent; raises OSError when it cannot send."""
    addr = os.environ.get("NOTIFY_SOCKET", "")
    if not addr:
        return False
    if addr[0] == "@":
        addr = "\0" + addr[1:]  # an abstract socket
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
        s.settimeout(_NOTIFY_TIMEOUT)
        s.connect(addr)
        s.sendall(state.encode())
    return True


def _notify_or_warn(state):
    try:
        notify(state)
    except OSError as e:
        print("poold: notify %r: %s" % (state, e), file=sys.stderr)


def http_server(handler_class, address=("", 8000), server_class=http.server.ThreadingHTTPServer, name=None):
    """A server_class serving handler_class on the pool's socket called name
    (the first one when name is None), or, without a passed socket, bound
    to address (host, port) as server_class would be."""
    sock = _passed_socket(name)
    if sock is None:
        return server_class(address, handler_class)
    server = server_class(sock.getsockname(), handler_class, bind_and_activate=False)
    server.socket.close()
    server.socket = sock  # no listen(2): the socket listens with the pool's backlog
    # serve_forever polls, then accepts: when another worker won the
    # connection, a blocking accept would wait for the next one, and the
    # drain with it.
    sock.setblocking(False)
    host, port = server.server_address[:2] if isinstance(server.server_address, tuple) else ("localhost", 0)
    server.server_name, server.server_port = socket.getfqdn(host), port  # as HTTPServer.server_bind
    if hasattr(server, "setup_environ"):  # a WSGIServer
        server.setup_environ()
    return server


def _passed_socket(name):
    socks = listen_sockets()
    chosen = None
    for sock_name, sock in socks:
        if chosen is None and (name is None or sock_name == name):
            chosen = sock
        else:
            sock.close()
    if chosen is None and name is not None and socks:
        raise LookupError("no socket named %r among those passed: %s" % (name, [n for n, _ in socks]))
    return chosen


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, wsgiref.simple_server.WSGIServer):
    daemon_threads = True


def wsgi_server(app, address=("", 8000), handler_class=wsgiref.simple_server.WSGIRequestHandler, name=None):
    """A threading wsgiref server of the WSGI application app, on the pool's
    socket as http_server says. wsgiref answers one request per
    connection."""
    server = http_server(handler_class, address, _ThreadingWSGIServer, name)
    server.set_app(app)
    return server


def serve_http(handler_class, address=("", 8000), **kwargs):
    """serve(http_server(handler_class, address, ...))."""
    return serve(http_server(handler_class, address, **kwargs))


def serve_wsgi(app, address=("", 8000), **kwargs):
    """serve(wsgi_server(app, address, ...))."""
    return serve(wsgi_server(app, address, **kwargs))


def serve(server, grace=IDLE_GRACE):
    """Serves server, a socketserver server whose handler is an
    http.server.BaseHTTPRequestHandler (ThreadingHTTPServer, wsgiref's
    WSGIServer, ...), until SIGTERM or SIGINT, then drains as the module
    says. Says READY=1 once serving, WATCHDOG=1 at half of WATCHDOG_USEC,
    STOPPING=1 when the drain begins. Call it from the main thread; it
    closes server. Returns True once drained, False when it gave up."""
    drain = _Drain(grace, _give_up_after(os.environ))
    _wire(server, drain)

    def on_signal(signum, frame):
        if drain.begin():
            _notify_or_warn("STOPPING=1\nSTATUS=draining")
            threading.Thread(target=server.shutdown, daemon=True).start()  # shutdown() waits for serve_forever

    old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    period = _watchdog_period(os.environ, os.getpid())
    beat = _Heartbeat(period)
    try:
        # A first WATCHDOG=1 with READY=1 arms poold's watchdog for this
        # worker at once, so that one hung before the first beat is caught.
        _notify_or_warn("READY=1\nWATCHDOG=1\nSTATUS=serving" if period > 0 else "READY=1\nSTATUS=serving")
        server.serve_forever()
        server.socket.close()  # no connection is accepted any more
        return drain.wait()
    finally:
        beat.stop()
        for sig, handler in old.items():
            signal.signal(sig, handler)
        server.server_close()


def _wire(server, drain):
    """Makes server report its connections to drain, and its handler the
    requests and answers."""
    server.daemon_threads, server.block_on_close = True, False  # drain waits; server_close must not
    server.RequestHandlerClass = type(server.RequestHandlerClass.__name__,
                                      (_DrainingHandler, server.RequestHandlerClass), {})
    server._poold_drain = drain
    process_request, shutdown_request = server.process_request, server.shutdown_request

    def accepted(request, client_address):
        drain.accepted(request)  # here, in serve_forever's thread: known before serve_forever returns
        if not isinstance(client_address, tuple):
            client_address = ("", 0)  # a unix socket's peer; http.server wants (host, port)
        process_request(request, client_address)

    def ended(request):
        try:
            shutdown_request(request)
        finally:
            drain.ended(request)

    server.process_request, server.shutdown_request = accepted, ended


class _DrainingHandler:
    """Put in front of a BaseHTTPRequestHandler: tells the drain when the
    connection waits for a request and when one has come, and marks the
    answers once draining."""

    def handle_one_request(self):
        self.server._poold_drain.idle(self.request)
        super().handle_one_request()

    def parse_request(self):
        if self.raw_requestline:  # not the end of the connection
            self.server._poold_drain.active(self.request)
        return super().parse_request()

    def end_headers(self):
        if self.server._poold_drain.draining and not self.close_connection:
            self.send_header("Connection", "close")  # also sets close_connection
        super().end_headers()


class _Drain:
    """The server's open connections, and the drain that ends them."""

    def __init__(self, grace, give_up):
        self.grace, self.give_up = grace, give_up
        self.draining = False
        self._forced = False
        self._began = None
        self._cond = threading.Condition()
        self._conns = {}  # request socket -> [active, idle since, hung up]

    def accepted(self, sock):
        with self._cond:
            self._conns[sock] = [False, time.monotonic(), False]
            self._cond.notify_all()

    def idle(self, sock):
        self._set(sock, False)

    def active(self, sock):
        self._set(sock, True)

    def _set(self, sock, active):
        with self._cond:
            c = self._conns.get(sock)
            if c is not None:
                c[0], c[1] = active, time.monotonic()
                self._cond.notify_all()

    def ended(self, sock):
        with self._cond:
            self._conns.pop(sock, None)
            self._cond.notify_all()

    def begin(self):
        """Begins the drain; True the first time, and a second call (a
        second signal) ends it at once."""
        with self._cond:
            first = not self.draining
            if first:
                self.draining, self._began = True, time.monotonic()
            else:
                self._forced = True
            self._cond.notify_all()
            return first

    def wait(self):
        """Once nothing is accepted any more: closes each connection once
        idle for the grace, and returns True when none is left, or False
        after closing those left at the give-up time."""
        with self._cond:
            while self._conns:
                now = time.monotonic()
                if self._forced or now >= self._began + self.give_up:
                    break
                wake = self._began + self.give_up
                for sock, c in self._conns.items():
                    active, since, hung_up = c
                    if active or hung_up:
                        continue
                    if now >= since + self.grace:
                        c[2] = True
                        _hang_up(sock)
                    else:
                        wake = min(wake, since + self.grace)
                self._cond.wait(wake - now)
            if not self._conns:
                return True
            print("poold: %d connections still open %.1fs after the drain began; closing them"
                  % (len(self._conns), time.monotonic() - self._began), file=sys.stderr)
            for sock in self._conns:
                _hang_up(sock)
            return False


def _hang_up(sock):
    """Ends a connection from outside its thread: a thread waiting to read
    from it sees its end."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed already


class _Heartbeat:
    """Sends WATCHDOG=1 every period seconds from a thread of its own."""

    def __init__(self, period):
        self._stopped = threading.Event()
        self._thread = None
        if period > 0:
            self._thread = threading.Thread(target=self._run, args=(period,), daemon=True)
            self._thread.start()

    def _run(self, period):
        while not self._stopped.wait(period):
            _notify_or_warn("WATCHDOG=1")

    def stop(self):
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()


def _watchdog_period(env, pid):
    """Half of WATCHDOG_USEC, in seconds, when the watchdog is this
    process's (WATCHDOG_PID unset or its PID); 0 without one."""
    if env.get("WATCHDOG_PID", "") not in ("", str(pid)):
        return 0
    try:
        return max(0, int(env.get("WATCHDOG_USEC", ""))) / 2e6
    except ValueError:
        return 0


def _give_up_after(env):
    """Seconds after the drain began: 1 s before poold's SIGKILL,
    POOLD_STOP_TIMEOUT_MS after SIGTERM, or 90% of it under 10 s; 9 s
    without it."""
    try:
        stop = int(env.get("POOLD_STOP_TIMEOUT_MS", "")) / 1000
    except ValueError:
        stop = 0
    if stop <= 0:
        stop = 10.0
    return stop - min(1.0, stop / 10)
