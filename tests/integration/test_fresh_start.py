"""A first start as root from a private folder (/root, a 0700 home): the
servers drop to the unprivileged user, who cannot enter data_dir there, so
postroomd stops at once and names the reason, instead of each child
failing and being restarted over and over."""
import os
import time
import unittest

from harness import Postroom


@unittest.skipUnless(os.geteuid() == 0, "needs root, to drop to nobody")
class PrivateFolderTest(unittest.TestCase):
    def test_root_in_private_folder_is_refused_with_the_reason(self):
        pr = Postroom()
        os.chmod(pr.tmp, 0o700)  # like /root
        try:
            pr.start(wait=False)
            code = pr.proc.wait(timeout=60)
            self.assertEqual(code, 1, pr.log())
            self.assertRegex(pr.log(), r"fatal: user \S+ cannot enter "
                             r"data_dir .*: a folder above it is private")
            self.assertNotIn("started child=", pr.log())
        finally:
            os.chmod(pr.tmp, 0o755)
            pr.stop()
            pr.cleanup()

    def test_reachable_folder_starts(self):
        pr = Postroom()
        try:
            pr.start()
            self.assertIn("started child=smtpd", pr.log())
        finally:
            pr.stop()
            pr.cleanup()


if __name__ == "__main__":
    unittest.main()
