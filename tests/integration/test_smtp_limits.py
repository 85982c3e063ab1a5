"""Connection limits and timeouts of smtpd, across two workers: the
per-IP limit holds exactly because the master steers every connection from
one address to one worker; other addresses are not affected; an idle
session is closed with 421 4.4.2."""
import socket
import time
import unittest

from harness import Postroom


def greet(port, source="127.0.0.1"):
    s = socket.socket()
    s.settimeout(10)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s, s.recv(512)


class SmtpLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(workers=2, smtpd={"max_connections_per_ip": 3,
                                            "idle_timeout": "2s"}).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def test_per_ip_limit_across_workers(self):
        held = []
        try:
            for _ in range(3):
                s, banner = greet(self.pr.port)
                held.append(s)
                self.assertTrue(banner.startswith(b"220"), banner)
            s, banner = greet(self.pr.port)
            held.append(s)
            self.assertTrue(banner.startswith(b"421 4.7.0"), banner)
            # Another address has its own count.
            s, banner = greet(self.pr.port, "127.0.0.2")
            held.append(s)
            self.assertTrue(banner.startswith(b"220"), banner)
            # Closing one frees a slot.
            held.pop(0).close()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                s, banner = greet(self.pr.port)
                held.append(s)
                if banner.startswith(b"220"):
                    break
                time.sleep(0.1)
            self.assertTrue(banner.startswith(b"220"), banner)
        finally:
            for s in held:
                s.close()

    def test_idle_timeout(self):
        s, banner = greet(self.pr.port, "127.0.0.3")
        self.assertTrue(banner.startswith(b"220"))
        s.settimeout(15)
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = s.recv(512)
            if not chunk:
                break
            data += chunk
        self.assertTrue(data.startswith(b"421 4.4.2"), data)
        self.assertEqual(s.recv(512), b"")  # then closed
        s.close()


if __name__ == "__main__":
    unittest.main()
