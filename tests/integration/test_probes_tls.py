"""Aborted TLS handshakes on every TLS listener, as port scanners and
health checks make them all day: implicit TLS on 465, 993 and 995, and the
handshake after STARTTLS on 587, 143 and STLS on 110. Each probe closes,
resets (SO_LINGER 0) or sends half a ClientHello and closes, more times than
the per-IP limit allows; afterwards the servers hold no socket on those
ports and the same address still gets a greeting. Half a ClientHello and
then silence is cut at tls_handshake_timeout. Before the fix in lib/core/
conn.c every implicit-TLS probe left a CLOSE-WAIT socket for good (and
its per-IP count), so 5 probes locked the address out."""
import re
import socket
import ssl
import threading
import time
import unittest

from harness import Postroom
from probe_fixtures import (abort, connect, partial_client_hello, read_until,
                            server_sockets, starttls_ready,
                            tls_client_context, wait_closed,
                            wait_no_server_sockets)

PER_IP = 5
HANDSHAKE_SECS = 2


class TlsProbeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        per_ip = {"max_connections_per_ip": PER_IP}
        cls.pr = Postroom(
            workers=1, main={"tls_handshake_timeout": f"{HANDSHAKE_SECS}s"},
            smtpd=per_ip,
            sections={"pop3d": dict(per_ip), "imapd": dict(per_ip)}).start()
        cls.hello = partial_client_hello()
        pr = cls.pr
        # name: (port, STARTTLS protocol or None for implicit TLS,
        #        what its greeting starts with)
        cls.listeners = {
            "submissions": (pr.submissions, None, b"220 "),
            "imaps": (pr.imaps, None, b"* OK"),
            "pop3s": (pr.pop3s, None, b"+OK"),
            "submission": (pr.submission, "smtp", b"220 "),
            "imap": (pr.imap, "imap", b"* OK"),
            "pop3": (pr.pop3, "pop3", b"+OK"),
        }
        cls.ports = {p for p, _, _ in cls.listeners.values()}

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def greeting(self, name, source):
        """What a real client from source is told on the listener."""
        port, proto, _ = self.listeners[name]
        s = connect(port, source)
        try:
            if proto is None:
                s = tls_client_context().wrap_socket(s)
            return read_until(s, b"\r\n")
        finally:
            s.close()

    def probe(self, name, how, source):
        port, proto, _ = self.listeners[name]
        s = connect(port, source)
        if proto is not None:
            starttls_ready(s, proto)
        abort(s, how, self.hello)

    def test_aborted_handshakes_leave_nothing(self):
        source = "127.0.2.1"
        for name in self.listeners:
            for how in ("close", "reset", "partial"):
                for _ in range(PER_IP):
                    self.probe(name, how, source)
        left = wait_no_server_sockets(self.pr, self.ports)
        self.assertEqual(left, [], "server sockets left on the TLS ports")
        # the per-IP counts were given back: the same address is served
        for name, (_, _, want) in self.listeners.items():
            got = self.greeting(name, source)
            self.assertTrue(got.startswith(want), f"{name}: {got!r}")
        # one disconnect line per aborted implicit handshake, with why
        log = self.pr.log()
        lines = re.findall(r"peer=127\.0\.2\.1 disconnect "
                           r"reason=tls handshake: ([a-z ]+)", log)
        self.assertGreaterEqual(len(lines), 3 * 3 * PER_IP, log[-3000:])

    def test_silent_handshake_is_cut_at_its_deadline(self):
        source = "127.0.2.2"
        socks = {}
        for name, (port, proto, _) in self.listeners.items():
            s = connect(port, source)
            if proto is not None:
                starttls_ready(s, proto)
            s.sendall(self.hello)
            socks[name] = s
        # the idle timeouts (5 to 30 minutes) are far: only the handshake
        # deadline can end these
        results = {}

        def wait(name, s):
            results[name] = wait_closed(s, 60)

        threads = [threading.Thread(target=wait, args=item)
                   for item in socks.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name, s in socks.items():
            s.close()
            data, secs = results[name]
            self.assertIsNotNone(secs, f"{name}: still open after 60 s")
            self.assertGreaterEqual(secs, HANDSHAKE_SECS - 0.5, name)
            self.assertEqual(data, b"", f"{name}: {data!r}")
        self.assertEqual(wait_no_server_sockets(self.pr, self.ports), [])
        timed_out = re.findall(r"peer=127\.0\.2\.2 disconnect "
                               r"reason=tls handshake: timed out",
                               self.pr.log())
        self.assertEqual(len(timed_out), len(self.listeners))


if __name__ == "__main__":
    unittest.main()
