"""postroom send --at: the terminal client asks the server to hold the
message (HOLDUNTIL, FUTURERELEASE of RFC 4865) and the server delivers it
at that time, not before; the X-Postroom-Send-At field that carries the
time in the Outbox never leaves the client. A server that does not offer
FUTURERELEASE gets nothing: the client refuses with a message that says
so, and the message stays in the Outbox. A bad --at is a usage error."""
import os
import time
import unittest

from client_fixtures import POSTROOM, ClientHome
from harness import Postroom
from test_client_send import local_messages

BOB = "bob@example.test"


@unittest.skipUnless(os.path.exists(POSTROOM), "postroom is not built")
class ClientSendLater(unittest.TestCase):
    def start(self, **smtpd):
        server = Postroom(smtpd=smtpd, sections={
            "queue": {"run_interval": "1h"}}).start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        server.add_user("lisa@example.test", "lisa-pw")
        server.add_user(BOB, "bob-pw")
        client = ClientHome()
        self.addCleanup(client.cleanup)
        client.for_postroomd("lisa", "lisa@example.test", "lisa-pw", server)
        return server, client

    def test_send_at_is_held_by_the_server(self):
        server, client = self.start()
        start = time.monotonic()
        out = client.json("send", "--to", BOB, "--subject", "later",
                          "--at", "+4s", input="see you\n")
        self.assertTrue(out["sent"], out)
        self.assertIn("send_at", out)
        time.sleep(1.5)
        self.assertEqual(server.messages(BOB), [])
        msg = server.wait_messages(BOB, 1, timeout=30)[0]
        self.assertGreaterEqual(time.monotonic() - start, 4)
        self.assertIn(b"Subject: later", msg)
        self.assertNotIn(b"X-Postroom-Send-At", msg)
        self.assertRegex(server.log(), r"hold=until;\d{4}-\d\d-\d\dT")
        self.assertEqual(local_messages(client, "Outbox"), [])
        # the plain output says when
        proc = client.run("send", "--to", BOB, "--subject", "later-2",
                          "--at", "+1h", input="x\n", check=True)
        self.assertRegex(proc.stdout, r"the server holds it until "
                         r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
        self.assertIn("release=", server.ctl("queue", "list").stdout)

    def test_server_without_futurerelease(self):
        server, client = self.start(future_release_max=0)
        proc = client.run("send", "--to", BOB, "--subject", "never",
                          "--at", "+1h", input="x\n")
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("FUTURERELEASE", proc.stdout)
        self.assertIn("stays in the Outbox", proc.stdout)
        self.assertEqual(len(local_messages(client, "Outbox")), 1)
        time.sleep(1)
        self.assertEqual(server.messages(BOB), [])

    def test_bad_at(self):
        server, client = self.start()
        for bad in ("yesterday", "2001-01-01T00:00:00Z", "+0", "+5x", "+"):
            proc = client.run("send", "--to", BOB, "--subject", "x",
                              "--at", bad, input="x\n")
            self.assertEqual(proc.returncode, 2, (bad, proc.stderr))
            self.assertIn("--at", proc.stderr)


if __name__ == "__main__":
    unittest.main()
