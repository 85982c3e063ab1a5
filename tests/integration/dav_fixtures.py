"""What the DAV tests share: postroomd with two accounts, a WebDAV client
that is curl (every request a real curl run, so what curl sends is what
the server gets), multistatus parsing with ElementTree, calendar and vCard
bodies, and Debian's Radicale started on a loopback port for side-by-side
runs (like peers.py starts Dovecot). Clients written in Python run under
/usr/bin/python3, where Debian's python3-caldav and vdirsyncer live."""
import os
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

from harness import Postroom, free_port
from http_fixtures import wait_http

BOB = "bob@example.test"
BOB_PASSWORD = "bob-secret"
EVE = "eve@example.test"
EVE_PASSWORD = "eve-secret"
PASSWORDS = {BOB: BOB_PASSWORD, EVE: EVE_PASSWORD}
DEBIAN_PYTHON = "/usr/bin/python3"

NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav",
      "CR": "urn:ietf:params:xml:ns:carddav",
      "CS": "http://calendarserver.org/ns/"}
XMLNS = ('xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" '
         'xmlns:CR="urn:ietf:params:xml:ns:carddav"')


def start(**kw):
    pr = Postroom(**kw).start()
    pr.add_user(BOB, BOB_PASSWORD)
    pr.add_user(EVE, EVE_PASSWORD)
    wait_http(pr)
    return pr


def home(kind, user=BOB):
    return f"/dav/{kind}/{user}/"


def cal(name="calendar", user=BOB):
    return f"/dav/calendars/{user}/{name}/"


def book(name="contacts", user=BOB):
    return f"/dav/addressbooks/{user}/{name}/"


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    def xml(self):
        return ET.fromstring(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def curl(base, method, path, body=None, headers=None, user=BOB,
         password=None):
    """One request by curl; returns a Response (the last one, if curl
    followed nothing: it does not follow redirects here)."""
    # -k: the tests' self-signed certificate on HTTPS
    args = ["curl", "-s", "-S", "-k", "-i", "--max-time", "60", "-X", method,
            "--path-as-is"]
    if user is not None:
        args += ["-u", f"{user}:{password or PASSWORDS[user]}"]
    for k, v in (headers or {}).items():
        args += ["-H", f"{k}: {v}"]
    if body is not None:
        args += ["--data-binary", "@-"]
        if isinstance(body, str):
            body = body.encode()
    args.append(base + path)
    out = subprocess.run(args, input=body, capture_output=True, timeout=90)
    if out.returncode != 0:
        raise AssertionError(f"curl failed: {out.stderr.decode()}")
    raw = out.stdout
    # skip interim 100 Continue heads
    while raw.startswith(b"HTTP/1.1 100"):
        raw = raw.split(b"\r\n\r\n", 1)[1]
    head, _, data = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(status, headers, data)


def multistatus(resp):
    """{href: {"{ns}name": (status, element)}} and {href: status} for
    responses with a bare status."""
    props, statuses = {}, {}
    root = resp.xml()
    for r in root.findall("D:response", NS):
        href = r.findtext("D:href", namespaces=NS)
        st = r.findtext("D:status", namespaces=NS)
        if st is not None:
            statuses[href] = int(st.split()[1])
        got = props.setdefault(href, {})
        for ps in r.findall("D:propstat", NS):
            code = int(ps.findtext("D:status", namespaces=NS).split()[1])
            for p in ps.find("D:prop", NS):
                got[p.tag] = (code, p)
    return props, statuses


def propfind_body(*names):
    props = "".join(f"<{n}/>" for n in names)
    return (f'<?xml version="1.0"?><D:propfind {XMLNS}><D:prop>{props}'
            f'</D:prop></D:propfind>')


def event(uid, start="20240110T100000Z", end="20240110T110000Z",
          summary="Meeting", extra=""):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n"
            f"DTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{summary}\r\n"
            f"{extra}END:VEVENT\r\nEND:VCALENDAR\r\n")


def weekly_event(uid="weekly"):
    """Weekly on Mondays 10:00 Europe/Berlin from 2024-01-08, ten times;
    the 22nd excluded, the 29th moved to Tuesday the 30th 15:00."""
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n"
            "DTSTART;TZID=Europe/Berlin:20240108T100000\r\n"
            "DTEND;TZID=Europe/Berlin:20240108T110000\r\n"
            "RRULE:FREQ=WEEKLY;COUNT=10\r\n"
            "EXDATE;TZID=Europe/Berlin:20240122T100000\r\n"
            "SUMMARY:Weekly\r\nEND:VEVENT\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n"
            "RECURRENCE-ID;TZID=Europe/Berlin:20240129T100000\r\n"
            "DTSTART;TZID=Europe/Berlin:20240130T150000\r\n"
            "DTEND;TZID=Europe/Berlin:20240130T160000\r\n"
            "SUMMARY:Weekly (moved)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def vcard(uid, fn="Ann Example", email="ann@example.org", version="3.0"):
    n = ";".join(reversed(fn.split(" ", 1))) + ";;;"
    return (f"BEGIN:VCARD\r\nVERSION:{version}\r\nUID:{uid}\r\nFN:{fn}\r\n"
            f"N:{n}\r\nEMAIL:{email}\r\nEND:VCARD\r\n")


def calendar_query(start, end, props="<D:getetag/>", comp="VEVENT"):
    return (f'<?xml version="1.0"?><C:calendar-query {XMLNS}><D:prop>'
            f'{props}</D:prop><C:filter><C:comp-filter name="VCALENDAR">'
            f'<C:comp-filter name="{comp}"><C:time-range start="{start}" '
            f'end="{end}"/></C:comp-filter></C:comp-filter></C:filter>'
            f'</C:calendar-query>')


def sync_body(token="", limit=None):
    lim = (f"<D:limit><D:nresults>{limit}</D:nresults></D:limit>"
           if limit else "")
    return (f'<?xml version="1.0"?><D:sync-collection {XMLNS}>'
            f'<D:sync-token>{token}</D:sync-token><D:sync-level>1'
            f'</D:sync-level>{lim}<D:prop><D:getetag/></D:prop>'
            f'</D:sync-collection>')


class Radicale:
    """Debian's Radicale on a loopback port, with bob (plain htpasswd) and
    its storage in a temporary folder."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="radicale-it-")
        self.port = free_port()
        users = os.path.join(self.tmp, "users")
        with open(users, "w") as f:
            f.write(f"{BOB}:{BOB_PASSWORD}\n")
        self.conf = os.path.join(self.tmp, "config")
        with open(self.conf, "w") as f:
            f.write(f"[server]\nhosts = 127.0.0.1:{self.port}\n"
                    f"[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\n"
                    "htpasswd_encryption = plain\n"
                    f"[storage]\nfilesystem_folder = {self.tmp}/collections\n"
                    "[rights]\ntype = owner_only\n"
                    "[logging]\nlevel = warning\n")
        self.log = open(os.path.join(self.tmp, "radicale.log"), "wb")
        self.proc = subprocess.Popen(
            [DEBIAN_PYTHON, "-m", "radicale", "--config", self.conf],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                r = curl(self.base, "OPTIONS", "/", user=None)
                if r.status in (200, 401):
                    return
            except AssertionError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError("radicale did not start: " + open(
            os.path.join(self.tmp, "radicale.log")).read())

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
