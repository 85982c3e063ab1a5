"""FETCH streams: a large message comes back byte for byte (whole, and a
partial range from its middle), commands pipelined behind a long FETCH are
answered after its tagged OK, and imapd's memory stays flat while a slow
client reads FETCH 1:* of a mailbox much larger than the output limit
(imapd's VmHWM, read from /proc, grows by far less than the mailbox), also
under COMPRESS=DEFLATE (RFC 4978) with hardly compressible messages."""
import base64
import imaplib
import os
import re
import socket
import time
import unittest
import zlib

from harness import Postroom

USER = "big@local.test"
PW = "big-pw"
SLOW = "slow@local.test"
CUT = "cut@local.test"
DEFLATED = "deflated@local.test"


def message(subject, size):
    """A message of about size bytes: short lines, distinct content."""
    head = (f"From: Alice <alice@remote.test>\r\nTo: {USER}\r\n"
            f"Subject: {subject}\r\n"
            "Date: Mon, 02 Jan 2023 10:00:00 +0000\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@remote.test>\r\n"
            "\r\n").encode()
    lines, n = [], 0
    while n < size - len(head):
        line = f"{subject} line {len(lines):08d} " + "y" * 60 + "\r\n"
        lines.append(line)
        n += len(line)
    return head + "".join(lines).encode()


def noisy_message(subject, size):
    """A message of about size bytes that deflate shrinks by only about a
    quarter (base64 of random bytes)."""
    head = (f"From: Alice <alice@remote.test>\r\nTo: {DEFLATED}\r\n"
            f"Subject: {subject}\r\n\r\n").encode()
    raw = base64.encodebytes(os.urandom((size - len(head)) * 3 // 4))
    return head + raw.replace(b"\n", b"\r\n")


def vm_hwm_reset(pid):
    """Sets the peak to the current size (Linux 4.0 clear_refs "5")."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M).group(1))


def read_response(sock, tag, slow_until=0):
    """Reads until the line "tag ..." ends a response; returns all bytes.
    The first slow_until bytes are read in small chunks with pauses."""
    data = bytearray()
    end = b"\r\n" + tag + b" "
    while True:
        if len(data) < slow_until:
            chunk = sock.recv(4096)
            time.sleep(0.002)
        else:
            chunk = sock.recv(1 << 20)
        if not chunk:
            raise AssertionError("connection closed")
        data += chunk
        i = data.find(end)
        if i >= 0 and data.find(b"\r\n", i + len(end)) >= 0:
            return bytes(data)


class QuietQuarantine(Postroom):
    """ASan keeps freed memory in quarantine (256 MB by default), which
    would hide whether imapd frees the chunks it has written."""

    def env(self):
        env = super().env()
        env["ASAN_OPTIONS"] += ":quarantine_size_mb=4"
        return env


class ImapFetchStreamTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = QuietQuarantine().start()
        cls.pr.add_user(USER, PW)
        cls.pr.add_user(SLOW, PW)
        cls.pr.add_user(CUT, PW)
        cls.pr.add_user(DEFLATED, PW)

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def login(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=120)
        m.login(user, PW)
        return m

    def raw_login(self, user):
        s = socket.create_connection(("127.0.0.1", self.pr.imap), timeout=120)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.recv(4096)  # the greeting
        s.sendall(f"l LOGIN {user} {PW}\r\ns SELECT INBOX\r\n".encode())
        data = b""
        while b"\r\ns OK" not in data:
            chunk = s.recv(65536)
            self.assertTrue(chunk)
            data += chunk
        return s

    def test_big_message_whole_and_partial(self):
        big = message("twenty megs", 20 * 1024 * 1024)
        m = self.login(USER)
        typ, data = m.append("INBOX", None, None, big)
        self.assertEqual(typ, "OK")
        uid = re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1)
        m.select("INBOX")
        typ, data = m.uid("FETCH", uid, "(BODY.PEEK[])")
        self.assertEqual(typ, "OK")
        self.assertTrue(data[0][1] == big, "BODY[] differs")
        typ, data = m.uid("FETCH", uid, "(BODY.PEEK[]<10000000.1000>)")
        self.assertEqual(typ, "OK")
        self.assertIn(b"BODY[]<10000000> {1000}", data[0][0])
        self.assertEqual(data[0][1], big[10000000:10001000])
        typ, data = m.uid("FETCH", uid, "(BODY.PEEK[TEXT]<5.10> RFC822.SIZE)")
        self.assertEqual(typ, "OK")
        text = big[big.index(b"\r\n\r\n") + 4:]
        self.assertEqual(data[0][1], text[5:15])
        m.logout()
        self.assertTrue(self.pr.messages(USER)[-1] == big, "stored differs")

        # Pipelined behind a long FETCH: answered after its OK, in order.
        s = self.raw_login(USER)
        s.sendall(b"a UID FETCH " + uid + b" BODY.PEEK[]\r\nb NOOP\r\n")
        out = read_response(s, b"b", slow_until=1 << 20)
        s.close()
        lit = re.search(rb"BODY\[\] \{(\d+)\}\r\n", out)
        self.assertEqual(int(lit.group(1)), len(big))
        start = lit.end()
        self.assertTrue(out[start:start + len(big)] == big, "literal differs")
        rest = out[start + len(big):]
        self.assertRegex(rest[:200],
                         rb"^\)\r\na OK [^\r]*\r\nb OK [^\r]*\r\n$")

    def test_slow_reader_memory_stays_flat(self):
        size, count = 5 * 1024 * 1024, 10
        m = self.login(SLOW)
        msgs = [message(f"five megs {i}", size) for i in range(count)]
        for body in msgs:
            self.assertEqual(m.append("INBOX", None, None, body)[0], "OK")
        m.logout()
        pids = self.pr.children("imapd")
        self.assertEqual(len(pids), 1)
        s = self.raw_login(SLOW)
        vm_hwm_reset(pids[0])
        before = vm_hwm_kb(pids[0])
        s.sendall(b"f FETCH 1:* BODY.PEEK[]\r\n")
        time.sleep(1)  # let the server fill what it will
        out = read_response(s, b"f", slow_until=4 << 20)
        grew = vm_hwm_kb(pids[0]) - before
        s.sendall(b"z LOGOUT\r\n")
        s.close()
        lits = list(re.finditer(rb"\* (\d+) FETCH \(BODY\[\] \{(\d+)\}\r\n",
                                out))
        self.assertEqual(len(lits), count)
        for i, lit in enumerate(lits):
            self.assertEqual(int(lit.group(1)), i + 1)
            self.assertEqual(int(lit.group(2)), len(msgs[i]))
            self.assertTrue(out[lit.end():lit.end() + len(msgs[i])] == msgs[i],
                            f"message {i + 1} differs")
        self.assertIn(b"\r\nf OK ", out)
        # Buffering the whole answer costs the 50 MB mailbox; streaming
        # costs about one message (mapped) and the output limit.
        self.assertLess(grew * 1024, size * count // 3,
                        f"imapd VmHWM grew by {grew} kB during the FETCH")

    def test_slow_reader_memory_stays_flat_compressed(self):
        """As above with COMPRESS=DEFLATE: the deflate layer must tell of
        drained output only once the stream below it has drained, or the
        FETCH never pauses (and all of it waits in imapd's memory)."""
        size, count = 5 * 1024 * 1024, 10
        m = self.login(DEFLATED)
        msgs = [noisy_message(f"noisy {i}", size) for i in range(count)]
        for body in msgs:
            self.assertEqual(m.append("INBOX", None, None, body)[0], "OK")
        m.logout()
        pids = self.pr.children("imapd")
        self.assertEqual(len(pids), 1)
        s = self.raw_login(DEFLATED)
        s.sendall(b"c COMPRESS DEFLATE\r\n")
        data = b""
        while b"\r\nc OK" not in b"\r\n" + data:
            data += s.recv(1)
        while not data.endswith(b"\r\n"):
            data += s.recv(1)
        out_z = zlib.compressobj(6, zlib.DEFLATED, -15)
        in_z = zlib.decompressobj(-15)
        vm_hwm_reset(pids[0])
        before = vm_hwm_kb(pids[0])
        s.sendall(out_z.compress(b"f FETCH 1:* BODY.PEEK[]\r\n") +
                  out_z.flush(zlib.Z_SYNC_FLUSH))
        time.sleep(1)  # let the server fill what it will
        out = bytearray()
        got = 0
        while b"\r\nf OK " not in out[-4096:]:
            chunk = s.recv(4096 if got < 4 << 20 else 1 << 20)
            self.assertTrue(chunk, "connection closed")
            got += len(chunk)
            if got < 4 << 20:
                time.sleep(0.002)
            out += in_z.decompress(chunk)
        grew = vm_hwm_kb(pids[0]) - before
        s.close()
        lits = list(re.finditer(rb"\* (\d+) FETCH \(BODY\[\] \{(\d+)\}\r\n",
                                out))
        self.assertEqual(len(lits), count)
        for i, lit in enumerate(lits):
            self.assertEqual(int(lit.group(2)), len(msgs[i]))
            self.assertTrue(out[lit.end():lit.end() + len(msgs[i])] == msgs[i],
                            f"message {i + 1} differs")
        # Written at once, the deflated mailbox (about 38 MB) would sit in
        # imapd's output buffer.
        self.assertLess(grew * 1024, size * count // 3,
                        f"imapd VmHWM grew by {grew} kB during the FETCH")

    def test_blob_cut_mid_literal_closes(self):
        """The literal's length is promised: when the blob cannot be read
        to its end, the connection closes without a tagged reply."""
        # larger than what the socket buffers can hold
        body = message("cut short", 24 * 1024 * 1024 + 17)
        m = self.login(CUT)
        self.assertEqual(m.append("INBOX", None, None, body)[0], "OK")
        m.logout()
        blobs = [os.path.join(d, f)
                 for d, _, files in os.walk(os.path.join(self.pr.data,
                                                         "blobs"))
                 for f in files
                 if os.path.getsize(os.path.join(d, f)) == len(body)]
        self.assertEqual(len(blobs), 1)
        s = self.raw_login(CUT)
        s.sendall(b"t FETCH 1 BODY.PEEK[]\r\n")
        out = bytearray(s.recv(65536))
        time.sleep(1)  # the server is now paused inside the literal
        os.truncate(blobs[0], 1024 * 1024)
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            out += chunk
            if b"\r\nt " in out[-(1 << 21):]:
                break  # answered: the cut came too late
        s.close()
        self.assertIn(b"BODY[] {%d}\r\n" % len(body), out)
        self.assertFalse(b"\r\nt " in out, "a tagged reply after the cut")
        self.assertLess(len(out), len(body))
        self.assertIn("unexpected end", self.pr.log())


if __name__ == "__main__":
    unittest.main()
