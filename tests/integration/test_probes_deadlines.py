"""Deadlines that bytes cannot extend, probed with raw sockets: the idle
timeouts (5 to 30 minutes here) restart on every byte, so before these a
client sending one byte now and then kept its connection, and its slot,
for good. Now a command line trickled a byte at a time is cut at
line_timeout, a session that never logs in at login_timeout however many
commands it sends, and a message (DATA, or BDAT across its chunks) that
arrives below min_data_rate at data_timeout plus its credit. Each server
answers as its protocol says (SMTP 421 4.4.2, IMAP * BYE, POP3 -ERR) and
logs the reason. Logged-in sessions and fast messages are not touched.
Margins are generous: only "cut, and not before the limit" is asserted."""
import imaplib
import poplib
import smtplib
import socket
import time
import unittest

from harness import Postroom
from probe_fixtures import connect, read_until, trickle

LINE = 3    # line_timeout, seconds
LOGIN = 4   # login_timeout
DATA = 4    # smtpd data_timeout (base of the message deadline)
CUT_BY = 40  # a limit must have acted by then (a busy machine is slow)
USER, PASSWORD = "alice@example.test", "secret-pw"


class DeadlineProbeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        limits = {"line_timeout": f"{LINE}s", "login_timeout": f"{LOGIN}s"}
        cls.pr = Postroom(
            workers=1,
            smtpd=dict(limits, data_timeout=f"{DATA}s", min_data_rate=500),
            sections={"pop3d": dict(limits), "imapd": dict(limits)}).start()
        cls.pr.add_user(USER, PASSWORD)

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def assert_cut(self, said, secs, sent, want, at_least):
        """The server closed after at_least seconds with reply want, while
        the client kept sending."""
        self.assertIsNotNone(secs, f"not cut in {CUT_BY} s: {said[-300:]!r}")
        self.assertIn(want, said)
        self.assertGreaterEqual(secs, at_least - 0.5)
        self.assertGreater(sent, 2)

    def repeat(self, s, command, interval, timeout):
        """Sends a whole command every interval seconds until the server
        closes. Returns (what it said, seconds until closed or None,
        commands sent)."""
        start = time.monotonic()
        said, sent = b"", 0
        s.settimeout(interval)
        while time.monotonic() - start < timeout:
            try:
                s.sendall(command)
                sent += 1
            except (BrokenPipeError, ConnectionResetError):
                return said, time.monotonic() - start, sent
            end = time.monotonic() + interval
            while time.monotonic() < end:
                try:
                    chunk = s.recv(4096)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    return said, time.monotonic() - start, sent
                said += chunk
        return said, None, sent

    # ---- one command line ----------------------------------------------

    def test_trickled_command_line_is_cut(self):
        cases = [(self.pr.port, b"220", b"421 4.4.2"),
                 (self.pr.pop3, b"+OK", b"-ERR Command line time limit"),
                 (self.pr.imap, b"* OK", b"* BYE Command line time limit")]
        for port, greeting, want in cases:
            s = connect(port, "127.0.3.1")
            self.assertTrue(read_until(s, b"\r\n").startswith(greeting))
            # one byte every 0.4 s: far inside every idle timeout
            said, secs, sent = trickle(s, b"a NOOP" + b"x" * 400, 0.4,
                                       CUT_BY)
            s.close()
            self.assert_cut(said, secs, sent, want, LINE)
        self.assertEqual(
            self.pr.log().count("peer=127.0.3.1 disconnect "
                                "reason=line-timeout"), 3, self.pr.log())

    # ---- greeting to login -------------------------------------------

    def test_no_login_is_cut_however_busy(self):
        cases = [(self.pr.submission, b"NOOP\r\n",
                  b"421 4.4.2 mx.local.test Error: login time limit"),
                 (self.pr.pop3, b"CAPA\r\n", b"-ERR Login time limit"),
                 (self.pr.imap, b"a NOOP\r\n", b"* BYE Login time limit")]
        for port, command, want in cases:
            s = connect(port, "127.0.3.2")
            read_until(s, b"\r\n")
            said, secs, sent = self.repeat(s, command, 0.5, CUT_BY)
            s.close()
            self.assert_cut(said, secs, sent, want, LOGIN)
        self.assertEqual(
            self.pr.log().count("peer=127.0.3.2 disconnect "
                                "reason=login-timeout"), 3)

    def test_port_25_has_no_login_deadline(self):
        s = connect(self.pr.port, "127.0.3.3")
        read_until(s, b"\r\n")
        said, secs, sent = self.repeat(s, b"NOOP\r\n", 0.5, LOGIN + 3)
        s.close()
        self.assertIsNone(secs, said)
        self.assertEqual(said.count(b"250 "), sent)

    def test_logged_in_sessions_outlive_the_login_deadline(self):
        smtp = smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30)
        smtp.login(USER, PASSWORD)
        pop = poplib.POP3("127.0.0.1", self.pr.pop3, timeout=30)
        pop.user(USER)
        pop.pass_(PASSWORD)
        imap = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        imap.login(USER, PASSWORD)
        for _ in range(LOGIN + 3):
            time.sleep(1)
            self.assertEqual(smtp.noop()[0], 250)
            self.assertTrue(pop.noop().startswith(b"+OK"))
            self.assertEqual(imap.noop()[0], "OK")
        smtp.quit()
        pop.quit()
        imap.logout()

    # ---- message data --------------------------------------------------

    def begin_mail(self, source):
        s = connect(self.pr.port, source)
        read_until(s, b"\r\n")
        s.sendall(b"EHLO probe.test\r\n")
        read_until(s, b"250 ")
        s.sendall(b"MAIL FROM:<p@probe.test>\r\n")
        self.assertIn(b"250", read_until(s, b"\r\n"))
        s.sendall(f"RCPT TO:<{USER}>\r\n".encode())
        self.assertIn(b"250", read_until(s, b"\r\n"))
        return s

    def test_slow_data_is_cut(self):
        s = self.begin_mail("127.0.3.4")
        s.sendall(b"DATA\r\n")
        self.assertIn(b"354", read_until(s, b"\r\n"))
        # 4 bytes a second, each read well inside data_timeout
        said, secs, sent = trickle(s, b"Subject: x\r\n\r\n" + b"y" * 400,
                                   0.25, CUT_BY)
        s.close()
        self.assert_cut(said, secs, sent, b"421 4.4.2", DATA)
        self.assertIn(b"too slowly", said)
        self.assertIn("peer=127.0.3.4 disconnect reason=data-rate",
                      self.pr.log())

    def test_slow_bdat_chunks_are_cut(self):
        s = self.begin_mail("127.0.3.5")
        start = time.monotonic()
        said = b""
        # whole small chunks, one a second: chunk commands between them
        # do not restart the message's deadline
        s.settimeout(1)
        secs = None
        while time.monotonic() - start < CUT_BY and secs is None:
            try:
                s.sendall(b"BDAT 8\r\nabcdefg\n")
            except (BrokenPipeError, ConnectionResetError):
                secs = time.monotonic() - start
                break
            try:
                chunk = s.recv(4096)
                if not chunk:
                    secs = time.monotonic() - start
                said += chunk
            except socket.timeout:
                pass
            except ConnectionResetError:
                secs = time.monotonic() - start
            time.sleep(0.5)
        s.close()
        self.assertIsNotNone(secs, said[-300:])
        self.assertIn(b"421 4.4.2", said)
        self.assertGreaterEqual(said.count(b"250 2.0.0 8 octets"), 2)
        self.assertGreaterEqual(secs, DATA - 0.5)

    def test_fast_message_passes(self):
        smtp = smtplib.SMTP("127.0.0.1", self.pr.port, timeout=60)
        body = ("Subject: big\r\n\r\n" +
                ("z" * 76 + "\r\n") * 8000).encode()  # about 600 KB
        smtp.sendmail("p@probe.test", [USER], body)
        smtp.quit()


if __name__ == "__main__":
    unittest.main()
