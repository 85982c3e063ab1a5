"""Fixtures for the terminal client's tests: a private home for `postroom`
(HOME, XDG_CONFIG_HOME and XDG_DATA_HOME in a temporary folder), account
files written the way doc/postroom.md describes them, and a runner that
returns the finished process (and parses --json output)."""
import json
import os
import shutil
import subprocess
import tempfile

BUILD = os.environ.get("POSTROOM_BUILD", os.path.join(
    os.path.dirname(__file__), "..", "..", "build"))
POSTROOM = os.path.join(BUILD, "clients", "postroom", "postroom")


class ClientHome:
    def __init__(self, client_conf=None):
        self.tmp = tempfile.mkdtemp(prefix="postroom-client-")
        self.home = os.path.join(self.tmp, "home")
        self.config_dir = os.path.join(self.home, ".config", "postroom")
        os.makedirs(os.path.join(self.config_dir, "accounts"))
        self.data_dir = os.path.join(self.home, ".local", "share",
                                     "postroom")
        self.asan_dir = os.path.join(self.tmp, "asan")
        os.mkdir(self.asan_dir)
        if client_conf:
            self.write_client_conf(client_conf)

    def env(self, extra=None):
        env = dict(os.environ)
        env.update({"HOME": self.home,
                    "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
                    "XDG_DATA_HOME": os.path.join(self.home, ".local",
                                                  "share"),
                    "ASAN_OPTIONS": f"log_path={self.asan_dir}/report:"
                                    "detect_leaks=1",
                    "UBSAN_OPTIONS": f"log_path={self.asan_dir}/report:"
                                     "print_stacktrace=1:halt_on_error=1"})
        env.pop("VISUAL", None)
        env.update(extra or {})
        return env

    def write_client_conf(self, keys):
        with open(os.path.join(self.config_dir, "postroom.conf"), "w") as f:
            for k, v in keys.items():
                f.write(f"{k} = {v}\n")

    def password_file(self, name, password, mode=0o600):
        path = os.path.join(self.config_dir, f"{name}.pass")
        with open(path, "w") as f:
            f.write(password + "\n")
        os.chmod(path, mode)
        return path

    def write_account(self, name, address, password=None, incoming=None,
                      outgoing=None, **keys):
        """incoming/outgoing: dicts of [incoming]/[outgoing] keys."""
        lines = [f"address = {address}"]
        if password is not None:
            lines.append(f"password_file = "
                         f"{self.password_file(name, password)}")
        lines += [f"{k} = {v}" for k, v in keys.items()]
        for section, values in (("incoming", incoming),
                                ("outgoing", outgoing)):
            if values:
                lines.append(f"[{section}]")
                lines += [f"{k} = {v}" for k, v in values.items()]
        path = os.path.join(self.config_dir, "accounts", f"{name}.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(path, 0o600)

    def for_postroomd(self, name, address, password, server, proto="imap",
                      **keys):
        """An account on a harness Postroom: implicit TLS both ways, the
        server's self-signed certificate as the trust anchor, "localhost"
        (in the certificate) as the server name."""
        cert = os.path.join(server.data, "tls", "cert.pem")
        port = server.imaps if proto == "imap" else server.pop3s
        self.write_account(
            name, address, password, tls_ca_file=cert,
            incoming={"protocol": proto, "host": "localhost", "port": port,
                      "tls": "implicit", **keys.pop("incoming", {})},
            outgoing={"host": "localhost", "port": server.submissions,
                      "tls": "implicit"}, **keys)

    def run(self, *args, input=None, env=None, timeout=60, check=False):
        proc = subprocess.run([POSTROOM, *args], input=input,
                              capture_output=True, text=True,
                              env=self.env(env), timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"postroom {' '.join(args)} exited "
                                 f"{proc.returncode}:\n{proc.stdout}\n"
                                 f"{proc.stderr}")
        return proc

    def json(self, *args, **kw):
        proc = self.run("--json", *args, check=True, **kw)
        return json.loads(proc.stdout)

    def sanitizer_reports(self):
        out = []
        for name in os.listdir(self.asan_dir):
            with open(os.path.join(self.asan_dir, name)) as f:
                out.append(f.read())
        return out

    def cleanup(self):
        reports = self.sanitizer_reports()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if reports:
            raise AssertionError("sanitizer report from postroom:\n" +
                                 "\n".join(reports)[:20000])
