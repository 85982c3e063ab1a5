"""The webmail's pure modules: web/test/*.test.mjs under Node's own test
runner (time zones and recurrences, the simple rules as Sieve, the iMIP
REPLY), and the Sieve the rule editor writes for hostile values (quotes,
backslashes, a folder with a quote) compiled by our own Sieve compiler
(postroomctl account sieve check, lib/rules), which must accept it."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import POSTROOMCTL, ROOT

WEB = os.path.join(ROOT, "web")

WRITE = """
import { writeRules } from './src/sieverules.js';
const rules = JSON.parse(process.argv[1]);
process.stdout.write(writeRules(process.argv[2], rules));
"""


class WebmailJsTest(unittest.TestCase):
    def test_node_tests_pass(self):
        out = subprocess.run(["node", "--test", "test/"], cwd=WEB,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("# fail 0", out.stdout)
        self.assertRegex(out.stdout, r"# pass [1-9]")

    def test_written_rules_compile(self):
        rules = [
            {"field": "from", "value": 'a"b\\c', "action": "move",
             "arg": 'Lists/Say "hi"'},
            {"field": "header", "header": "X-Spam-Flag", "value": "YES",
             "action": "discard"},
            {"field": "to", "value": "\\", "action": "forward",
             "arg": "ann@example.org"},
            {"field": "subject", "value": "ünïcödé", "action": "flag"}]
        existing = ('require ["vacation"];\r\n'
                    '# BEGIN postroom settings\r\n'
                    'vacation :subject "Away" "Back soon.";\r\n'
                    '# END postroom settings\r\n')
        with tempfile.TemporaryDirectory(prefix="webmail-sieve-") as tmp:
            for base in ("", existing):
                out = subprocess.run(
                    ["node", "--input-type=module", "-e", WRITE,
                     json.dumps(rules), base],
                    cwd=WEB, capture_output=True, timeout=60)
                self.assertEqual(out.returncode, 0, out.stderr)
                script = out.stdout.decode()  # (bytes: CRLF kept)
                self.assertIn("# BEGIN postroom webmail rules", script)
                self.assertIn(base, script)  # the rest byte for byte
                path = os.path.join(tmp, "rules.sieve")
                with open(path, "w", newline="") as f:
                    f.write(script)
                # (in tmp: postroomctl opens its default data_dir there)
                chk = subprocess.run([POSTROOMCTL, "account", "sieve",
                                      "check", path], capture_output=True,
                                     text=True, timeout=60, cwd=tmp)
                self.assertEqual(chk.returncode, 0,
                                 chk.stdout + chk.stderr + script)


if __name__ == "__main__":
    unittest.main()
