"""Request smuggling and limits against the running httpd, over raw sockets:
each smuggling shape (Content-Length with Transfer-Encoding, two
Content-Lengths, obs-fold, bare LF, bad chunk sizes, ...) is answered 400
and the connection closed, and the request hidden behind it is never
answered (no second response, no access line); then 414, 431, 413 (by
length, and while a chunked body streams), 429 past the request rate, 408
for a head or body trickled in slower than its deadline, and 503 for a
connection over the per-IP limit (RFC 9112 §6.3, §7.1, §9.6; RFC 9110
§15.5.14; RFC 6585 §4-5)."""
import base64
import socket
import time
import unittest

from harness import Postroom
from http_fixtures import (PASSWORD, USER, Raw, autodiscover_request,
                           request, wait_http)

AUTODISCOVER = "/autodiscover/autodiscover.xml"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


def read_all(raw, timeout=30):
    """Everything the server sends until it closes the connection."""
    raw.sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = raw.sock.recv(65536)
        except ConnectionError:
            return data
        if not chunk:
            return data
        data += chunk


class HttpdSmugglingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PASSWORD)
        wait_http(cls.pr)

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def refused(self, payload, want=400, tls=False):
        """payload gets one response with status want, the connection is
        closed, and nothing behind it is answered."""
        raw = Raw(self.pr, tls=tls)
        raw.send(payload)
        data = read_all(raw)
        raw.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 %d " % want),
                        f"{payload!r}: got {data[:200]!r}")
        self.assertEqual(data.count(b"HTTP/1.1 "), 1,
                         f"{payload!r}: more than one response: {data!r}")
        self.assertIn(b"\r\nConnection: close\r\n", data)

    def test_framing_conflicts(self):
        cases = [
            # CL.TE and TE.CL
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 38\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Length: 4\r\n\r\n5c\r\n" + SMUGGLED + b"\r\n0\r\n\r\n",
            # two Content-Lengths, equal or not, and a list
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
            b"Content-Length: 38\r\n\r\n" + SMUGGLED,
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 38\r\n"
            b"Content-Length: 38\r\n\r\n" + SMUGGLED,
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 38, 38\r\n\r\n" +
            SMUGGLED,
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +38\r\n\r\n" +
            SMUGGLED,
            # chunked not last, twice, obfuscated, in HTTP/1.0
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, "
            b"identity\r\n\r\n0\r\n\r\n" + SMUGGLED,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n"
            b"\r\n0\r\n\r\n" + SMUGGLED,
            b"POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"\r\n0\r\n\r\n" + SMUGGLED,
            # obs-fold, bare LF, bare CR, two Hosts
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n" +
            SMUGGLED,
            b"GET /health HTTP/1.1\nHost: x\n\n" + SMUGGLED,
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\nX-B: b\r\n\r\n" +
            SMUGGLED,
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\rX-B: b\r\n\r\n" +
            SMUGGLED,
            b"GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n" + SMUGGLED,
        ]
        for payload in cases:
            with self.subTest(payload=payload[:60]):
                self.refused(payload)
        # another transfer coding before chunked: 501, closed
        self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                     b"gzip, chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, want=501)
        self.assertNotIn("path=/smuggled", self.pr.log())

    def test_bad_chunks(self):
        head = (b"POST " + AUTODISCOVER.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        body = autodiscover_request()
        good = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        for tls in (False, True):
            raw = Raw(self.pr, tls=tls)
            raw.send(head + good)
            self.assertEqual(raw.response()[0], 200)
            raw.close()
        sizes = [b"-1", b"0x10", b" 5", b"5 5", b"g", b"", b"+5",
                 b"fffffffffffffffffffff", b"5;a=\"unterminated"]
        for size in sizes:
            with self.subTest(size=size):
                self.refused(head + size + b"\r\nhello\r\n0\r\n\r\n" +
                             SMUGGLED)
        # data not ended by CRLF, a bare LF after the size, a bad trailer
        self.refused(head + b"5\r\nhelloXX0\r\n\r\n" + SMUGGLED)
        self.refused(head + b"5\nhello\r\n0\r\n\r\n" + SMUGGLED, tls=True)
        self.refused(head + b"5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n" +
                     SMUGGLED)
        self.assertNotIn("path=/smuggled", self.pr.log())


class HttpdLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(main={"tls_handshake_timeout": "2s"},
                          sections={"httpd": {
                              "max_request_line": 512,
                              "max_header_bytes": "4k", "max_headers": 20,
                              "header_timeout": "2s",
                              "body_timeout": "2s"}}).start()
        wait_http(cls.pr)

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def status_then_closed(self, payload, want):
        raw = Raw(self.pr)
        raw.send(payload)
        data = read_all(raw)
        raw.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 %d " % want), data[:300])
        self.assertEqual(data.count(b"HTTP/1.1 "), 1, data)
        return data

    def test_head_limits(self):
        self.status_then_closed(
            b"GET /" + b"a" * 600 + b" HTTP/1.1\r\nHost: x\r\n\r\n" +
            SMUGGLED, 414)
        many = b"".join(b"X-%d: v\r\n" % i for i in range(25))
        self.status_then_closed(b"GET /health HTTP/1.1\r\nHost: x\r\n" +
                                many + b"\r\n" + SMUGGLED, 431)
        big = b"X-Big: " + b"v" * 5000 + b"\r\n"
        self.status_then_closed(b"GET /health HTTP/1.1\r\nHost: x\r\n" +
                                big + b"\r\n" + SMUGGLED, 431)
        # just under the limits is fine
        raw = Raw(self.pr)
        raw.send(b"GET /health HTTP/1.1\r\nHost: x\r\n" +
                 b"".join(b"X-%d: v\r\n" % i for i in range(19)) + b"\r\n")
        self.assertEqual(raw.response()[0], 200)
        raw.close()

    def test_body_too_large(self):
        # by its length, before any of it is read (no 100 Continue)
        data = self.status_then_closed(
            request("POST", AUTODISCOVER, headers=[
                ("Content-Length", "100000"), ("Expect", "100-continue")]),
            413)
        self.assertNotIn(b"100 Continue", data)
        # while a chunked body streams past the route's 64 KiB
        raw = Raw(self.pr)
        raw.send(request("POST", AUTODISCOVER,
                         headers=[("Transfer-Encoding", "chunked")]))
        chunk = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"
        try:
            for _ in range(6):
                raw.send(chunk)
        except ConnectionError:
            pass  # closed while we were still sending: the 413 is there
        data = read_all(raw)
        raw.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 413 "), data[:200])

    def test_slow_head_gets_408(self):
        raw = Raw(self.pr)
        raw.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        raw.sock.settimeout(0.5)
        got = b""
        # each line would extend an idle timeout; the 2 s head deadline
        # must not move (we would trickle for 30 s)
        for i in range(60):
            try:
                raw.send(b"X-Slow-%d: 1\r\n" % i)
                got += raw.sock.recv(4096)
                break
            except socket.timeout:
                continue
            except ConnectionError:
                break
        self.assertTrue(got.startswith(b"HTTP/1.1 408 "),
                        f"no 408 after {i + 1} lines: {got!r}")
        self.assertLess(i, 59)
        self.assertIn(b"\r\nConnection: close\r\n", got)
        raw.close()
        # the access line follows the response (the request ends from the
        # loop once it is written)
        deadline = time.monotonic() + 10
        while "reason=\"header deadline\"" not in self.pr.log():
            self.assertLess(time.monotonic(), deadline, self.pr.log())
            time.sleep(0.05)

    def test_silent_tls_handshake_is_closed(self):
        # the HTTPS port, and no ClientHello: tls_handshake_timeout (2 s),
        # not the idle timeout (1 minute)
        sock = socket.create_connection(("127.0.0.1", self.pr.https),
                                        timeout=30)
        try:
            self.assertEqual(sock.recv(1), b"")
        finally:
            sock.close()

    def test_slow_body_gets_408(self):
        raw = Raw(self.pr)
        raw.send(request("POST", AUTODISCOVER,
                         headers=[("Content-Length", "1000")]) + b"<x")
        raw.sock.settimeout(0.5)
        got = b""
        for i in range(60):
            try:
                raw.send(b"y")
                got += raw.sock.recv(4096)
                break
            except socket.timeout:
                continue
            except ConnectionError:
                break
        self.assertTrue(got.startswith(b"HTTP/1.1 408 "), got[:200])
        self.assertLess(i, 59)
        raw.close()


class HttpdRateTest(unittest.TestCase):
    def test_request_rate_429(self):
        pr = Postroom(sections={"httpd": {"request_rate": 1,
                                          "request_burst": 3}}).start()
        try:
            wait_http(pr)
            raw = Raw(pr)
            raw.send(request("GET", "/health") * 6)
            statuses = []
            for _ in range(4):
                status, headers, _ = raw.response()
                statuses.append(status)
            self.assertEqual(statuses[:3], [200, 200, 200])
            self.assertEqual(statuses[3], 429)
            self.assertEqual(headers["connection"], "close")
            self.assertTrue(int(headers["retry-after"]) >= 1)
            self.assertEqual(read_all(raw), b"")  # 5th and 6th: never
            raw.close()
        finally:
            pr.cleanup()


class HttpdPerIpTest(unittest.TestCase):
    def test_connections_per_ip_503(self):
        # two workers: the master steers one address to one of them, so
        # the count holds across workers
        pr = Postroom(sections={"httpd": {"max_connections_per_ip": 2,
                                          "workers": 2}})
        pr.start()
        try:
            wait_http(pr)
            self.assertEqual(len(pr.children("httpd")), 2)
            self.assertNotIn("steering unavailable", pr.log())
            held = []
            for tls in (False, True):
                # wait_http's connections may not be counted out yet
                deadline = time.monotonic() + 20
                while True:
                    raw = Raw(pr, tls=tls)
                    raw.send(request("GET", "/health"))
                    if raw.response()[0] == 200:
                        break
                    raw.close()
                    self.assertLess(time.monotonic(), deadline)
                    time.sleep(0.1)
                held.append(raw)
            third = Raw(pr)
            third.send(request("GET", "/health"))
            status, headers, body = third.response()
            self.assertEqual(status, 503, body)
            self.assertIn(b"too many connections from your address", body)
            self.assertTrue(int(headers["retry-after"]) >= 1)
            self.assertTrue(third.is_closed())
            third.close()
            # a refused connection that says nothing is not kept for the
            # idle timeout (1 minute): it holds no slot, so it gets seconds
            silent = Raw(pr)
            self.assertTrue(silent.is_closed(timeout=30))
            silent.close()
            # the held ones are still served
            held[0].send(request("GET", "/health"))
            self.assertEqual(held[0].response()[0], 200)
            for raw in held:
                raw.close()
            # once they are gone, a new connection is served again
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                raw = Raw(pr)
                raw.send(request("GET", "/health"))
                status = raw.response()[0]
                raw.close()
                if status == 200:
                    break
                time.sleep(0.1)
            self.assertEqual(status, 200)
            self.assertIn("refused reason=\"too many connections from "
                          "your address\"", pr.log())
        finally:
            pr.cleanup()


class HttpdEvictionTest(unittest.TestCase):
    """At max_connections a new connection takes the slot of the oldest
    one that has not proven an identity (lib/core/service.h); one that
    has keeps its slot."""

    def test_anonymous_connection_makes_room(self):
        pr = Postroom(sections={"httpd": {"max_connections": 2}}).start()
        try:
            pr.add_user(USER, PASSWORD)
            wait_http(pr)
            token = base64.b64encode(f"{USER}:{PASSWORD}".encode())
            auth = [("Authorization", "Basic " + token.decode())]
            # wait_http's connections may not be counted out yet
            deadline = time.monotonic() + 20
            while True:
                user = Raw(pr, tls=True)
                user.send(request("GET", "/apple/postroom.mobileconfig",
                                  headers=auth))
                if user.response()[0] == 200:
                    break
                user.close()
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.1)
            anon = Raw(pr)
            anon.send(request("GET", "/health"))
            self.assertEqual(anon.response()[0], 200)
            third = Raw(pr)
            third.send(request("GET", "/health"))
            self.assertEqual(third.response()[0], 200)
            self.assertTrue(anon.is_closed(), "the anonymous one stays")
            user.send(request("GET", "/apple/postroom.mobileconfig",
                              headers=auth))
            self.assertEqual(user.response()[0], 200)
            for raw in (anon, third, user):
                raw.close()
            self.assertIn("evicted reason=\"too many connections\"",
                          pr.log())
        finally:
            pr.cleanup()


if __name__ == "__main__":
    unittest.main()
