"""Tests of poold.py with real sockets and real processes: python3 -m
unittest in this directory (go test ./python/ runs them too). Waits end
after BOUND seconds, which grows with POOLD_TEST_TIMEOUT_FACTOR."""

import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import poold

HERE = os.path.dirname(os.path.abspath(__file__))
BOUND = 10 * float(os.environ.get("POOLD_TEST_TIMEOUT_FACTOR") or 1)
LONG = 2 * BOUND  # a grace or a stop timeout that a test never reaches

# The worker the tests run: an http.server handler (or a WSGI app) served
# by poold.serve with the grace of argv[2]. It prints "accepted PORT" for
# each connection it accepts, "stopped accepting" once serve_forever has
# returned, "started" when a /block request begins, and answers /block
# once the test writes a byte on its stdin (read unbuffered: a thread
# blocked in a buffered read would hold the interpreter's exit).
WORKER = r"""
import http.server, json, os, sys, wsgiref.simple_server
import poold

def block():
    print("started", flush=True)
    os.read(0, 1)

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path == "/block":
            block()
        body = json.dumps({"pid": os.getpid(), "listen_fds": os.environ.get("LISTEN_FDS")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

class QuietWSGIHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass

def app(environ, start_response):
    if environ["PATH_INFO"] == "/block":
        block()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"wsgi"]

if sys.argv[1] == "wsgi":
    server = poold.wsgi_server(app, handler_class=QuietWSGIHandler)
else:
    server = poold.http_server(Handler)
process_request = server.process_request
def tell_accepted(request, client_address):
    print("accepted %d" % request.getpeername()[1], flush=True)
    process_request(request, client_address)
server.process_request = tell_accepted
serve_forever = server.serve_forever
def tell_stopped():
    serve_forever()
    print("stopped accepting", flush=True)
server.serve_forever = tell_stopped
drained = poold.serve(server, grace=float(sys.argv[2]))
print("drained" if drained else "gave up", flush=True)
sys.exit(0 if drained else 1)
"""


class Worker:
    """The WORKER in a process of its own, on a socket of the test's passed
    as fd 3, with a NOTIFY_SOCKET the test reads."""

    def __init__(self, test, mode="http", grace=LONG, env=None):
        self.listener = socket.create_server(("127.0.0.1", 0))
        test.addCleanup(self.listener.close)
        self.addr = self.listener.getsockname()
        tmp = tempfile.mkdtemp()
        self.notify_path = os.path.join(tmp, "notify")
        self.notifications = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notifications.bind(self.notify_path)
        test.addCleanup(self.notifications.close)
        fd = self.listener.fileno()
        child_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": HERE,
            "LISTEN_FDS": "1", "LISTEN_FDNAMES": "web", "NOTIFY_SOCKET": self.notify_path,
            "FD": str(fd),
        }
        child_env.update(env or {})
        # The shell is the trampoline: fd 3 is the socket, LISTEN_PID its
        # PID, which exec keeps.
        self.proc = subprocess.Popen(
            ["/bin/sh", "-c", 'exec 3<&"$FD"; LISTEN_PID=$$ exec "$0" "$@"',
             sys.executable, "-c", WORKER, mode, str(grace)],
            env=child_env, pass_fds=(fd,), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        test.addCleanup(self.kill)
        self.test = test

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()

    def next_notification(self):
        ready, _, _ = select.select([self.notifications], [], [], BOUND)
        if not ready:
            self.test.fail("no notification within %ss" % BOUND)
        return self.notifications.recv(4096).decode()

    def wait_notification(self, prefix):
        while not self.next_notification().startswith(prefix):
            pass

    def wait_line(self, want):
        """Waits until the worker prints the line want."""
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], deadline - time.monotonic())
            if not ready:
                break
            line = self.proc.stdout.readline()
            if not line:
                self.test.fail("the worker ended before printing %r" % want)
            if line.strip() == want:
                return
        self.test.fail("the worker did not print %r within %ss" % (want, BOUND))

    def release(self):
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def sigterm(self):
        """Sends SIGTERM, and waits until the worker accepts no more."""
        self.proc.send_signal(signal.SIGTERM)
        self.wait_notification("STOPPING=1\n")
        self.wait_line("stopped accepting")

    def wait_exit(self):
        try:
            return self.proc.wait(BOUND)
        except subprocess.TimeoutExpired:
            self.test.fail("the worker did not exit within %ss" % BOUND)

    def connect(self):
        """A connection the worker has accepted."""
        conn = http.client.HTTPConnection(*self.addr, timeout=BOUND)
        conn.connect()
        self.test.addCleanup(conn.close)
        # http.client closes its socket after an answer with Connection:
        # close; a copy lets the test see the server's end.
        conn.watch = conn.sock.dup()
        self.test.addCleanup(conn.watch.close)
        self.wait_line("accepted %d" % conn.sock.getsockname()[1])
        return conn


def get(conn, path="/"):
    """GET path on conn, never retried: (status, Connection: close?, body)."""
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.status, resp.will_close, resp.read()


def wait_closed(test, conn):
    """Waits until the server has closed conn."""
    conn.watch.settimeout(BOUND)
    try:
        data = conn.watch.recv(1)
    except socket.timeout:
        test.fail("the connection was not closed within %ss" % BOUND)
    test.assertEqual(data, b"", "the connection was not closed")


class ServeTest(unittest.TestCase):
    def test_ready_heartbeats_and_a_clean_exit(self):
        w = Worker(self, env={"WATCHDOG_USEC": "100000"})
        self.assertEqual(w.next_notification(), "READY=1\nWATCHDOG=1\nSTATUS=serving")
        conn = w.connect()
        status, _, body = get(conn)
        answer = json.loads(body)
        self.assertEqual((status, answer["pid"], answer["listen_fds"]), (200, w.proc.pid, None),
                         "want the worker's answer, LISTEN_FDS unset once taken")
        self.assertEqual([w.next_notification() for _ in range(2)], ["WATCHDOG=1"] * 2)
        conn.close()
        conn.watch.close()  # the client has gone: the drain ends at once
        w.sigterm()
        self.assertEqual(w.wait_exit(), 0)
        # The worker closed its copy of the socket only: it still listens.
        client = socket.create_connection(w.addr, timeout=BOUND)
        self.addCleanup(client.close)
        w.listener.settimeout(BOUND)
        w.listener.accept()[0].close()

    def test_a_request_on_a_connection_accepted_before_the_drain_is_answered(self):
        w = Worker(self)
        conn = w.connect()
        w.sigterm()
        self.assertEqual(get(conn)[:2], (200, True), "want 200 with Connection: close")
        wait_closed(self, conn)
        w.wait_line("drained")
        self.assertEqual(w.wait_exit(), 0)

    def test_the_next_request_on_an_idle_connection_is_answered(self):
        w = Worker(self)
        conn = w.connect()
        self.assertEqual(get(conn)[:2], (200, False), "want the connection kept alive")
        w.sigterm()
        self.assertEqual(get(conn)[:2], (200, True), "want 200 with Connection: close")
        wait_closed(self, conn)
        self.assertEqual(w.wait_exit(), 0)

    def test_an_idle_connection_closes_after_the_grace(self):
        # Longer than serve_forever's poll (0.5 s), which the drain waits
        # for before it begins: a drain that closed idle connections at
        # once would still close this one within the grace.
        grace = 1.0
        w = Worker(self, grace=grace)
        conn = w.connect()
        # Before the request: the worker may count the connection idle a
        # little before the client has read the whole answer.
        asked = time.monotonic()
        get(conn)
        w.sigterm()
        wait_closed(self, conn)
        self.assertGreaterEqual(time.monotonic() - asked, grace)
        self.assertEqual(w.wait_exit(), 0)

    def test_a_request_in_flight_is_answered(self):
        for mode in ("http", "wsgi"):
            with self.subTest(mode=mode):
                w = Worker(self, mode=mode, grace=0.05)
                conn = w.connect()
                conn.request("GET", "/block")
                w.wait_line("started")
                w.sigterm()
                self.assertIsNone(w.proc.poll(), "the worker exited with a request in flight")
                w.release()
                resp = conn.getresponse()
                self.assertEqual((resp.status, resp.will_close), (200, True))
                self.assertEqual(w.wait_exit(), 0)

    def test_gives_up_before_the_stop_timeout(self):
        w = Worker(self, env={"POOLD_STOP_TIMEOUT_MS": "1000"})  # gives up after 0.9 s
        conn = w.connect()
        conn.request("GET", "/block")
        w.wait_line("started")
        began = time.monotonic()
        w.sigterm()
        w.wait_line("gave up")
        self.assertGreaterEqual(time.monotonic() - began, 0.9)
        self.assertEqual(w.wait_exit(), 1)
        wait_closed(self, conn)

    def test_a_second_signal_ends_the_drain(self):
        w = Worker(self)
        conn = w.connect()
        conn.request("GET", "/block")
        w.wait_line("started")
        w.sigterm()
        w.proc.send_signal(signal.SIGINT)
        w.wait_line("gave up")
        self.assertEqual(w.wait_exit(), 1)


class WithoutPooldTest(unittest.TestCase):
    def test_http_server_binds_the_address(self):
        server = poold.http_server(http_handler(), ("127.0.0.1", 0))
        self.addCleanup(server.server_close)
        self.assertNotEqual(server.server_address[1], 0)

    def test_notify_does_nothing(self):
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        with patched_environ(env):
            self.assertFalse(poold.notify("READY=1"))

    def test_notify_abstract_socket(self):
        name = "@poold-python-test-%d" % os.getpid()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.bind("\0" + name[1:])
            with patched_environ(dict(os.environ, NOTIFY_SOCKET=name)):
                self.assertTrue(poold.notify("STATUS=up"))
            s.settimeout(BOUND)
            self.assertEqual(s.recv(4096), b"STATUS=up")


class EnvironmentTest(unittest.TestCase):
    def test_parse_listen_env(self):
        for env, want in [
            ({}, []),
            ({"LISTEN_PID": "1", "LISTEN_FDS": "2"}, []),
            ({"LISTEN_PID": "42", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "http:admin"}, [(3, "http"), (4, "admin")]),
            ({"LISTEN_PID": "42", "LISTEN_FDS": "2"}, [(3, "unknown"), (4, "unknown")]),
            ({"LISTEN_PID": "42", "LISTEN_FDS": "2", "LISTEN_FDNAMES": ":admin"}, [(3, "unknown"), (4, "admin")]),
            ({"LISTEN_PID": "42", "LISTEN_FDS": "two"}, []),
        ]:
            self.assertEqual(poold._parse_listen_env(env, 42), want, env)

    def test_watchdog_period(self):
        for env, want in [
            ({}, 0),
            ({"WATCHDOG_USEC": "2000000"}, 1.0),
            ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "42"}, 1.0),
            ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}, 0),
            ({"WATCHDOG_USEC": "soon"}, 0),
        ]:
            self.assertEqual(poold._watchdog_period(env, 42), want, env)

    def test_give_up_after(self):
        for env, want in [
            ({}, 9.0),
            ({"POOLD_STOP_TIMEOUT_MS": "30000"}, 29.0),
            ({"POOLD_STOP_TIMEOUT_MS": "5000"}, 4.5),
            ({"POOLD_STOP_TIMEOUT_MS": "-1"}, 9.0),
        ]:
            self.assertAlmostEqual(poold._give_up_after(env), want, msg=env)


def http_handler():
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        pass
    return Handler


class patched_environ:
    """Replaces os.environ's contents for a with block."""

    def __init__(self, env):
        self.env = env

    def __enter__(self):
        self.saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)

    def __exit__(self, *exc):
        os.environ.clear()
        os.environ.update(self.saved)


if __name__ == "__main__":
    unittest.main()
