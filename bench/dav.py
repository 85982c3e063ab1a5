#!/usr/bin/env python3
"""bench/dav: CalDAV and CardDAV against postroomd and Debian's Radicale
in the same run, with the same requests; reports figures and ratios,
asserts nothing. Loopback only, plain HTTP on both (Radicale has no TLS
here; Postroom's loopback plain port serves everything).

For each server, one account (Radicale: htpasswd, plain; Postroom: the
usual yescrypt, checked once per connection):
  PUT    5,000 events (--objects) into a calendar and 5,000 vCards into an
         address book, one keep-alive connection, one after the other
         (PUT/s, If-None-Match: * as sync clients send it)
  sync   initial: sync-collection with getetag, then calendar-multiget (or
         addressbook-multiget) of every member in batches of 100, as
         vdirsyncer and DAVx5 do; incremental: 50 members changed and 50
         deleted, then sync-collection from the first token and a multiget
         of what changed (milliseconds, one connection)
  GET    2,000 GETs of random members, one connection and 4 connections
         (GET/s)
  memory httpd's Pss per idle keep-alive connection: on a freshly
         restarted postroomd with [httpd] workers = 1, --idle connections
         (from 127.0.1.x) each send one authenticated PROPFIND and stay
         open; the worker's Pss (smaps_rollup) and VmRSS before and
         after, divided by the count. Radicale (wsgiref) answers HTTP/1.0
         and closes each connection after its response, so it holds no
         idle connection (and every request of its runs above paid a new
         TCP connection: that is how its clients meet it too).
Postroom runs with [httpd] request_rate = 0: its default 100 requests/s
per connection (burst 1,000) would pace a one-connection bulk load;
Radicale has no such limit. Radicale is Debian's 3.1.8 on python3,
filesystem storage (its own fsync on each write, as Postroom's SQLite
with synchronous=FULL)."""
import argparse
import base64
import http.client
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

USER = "bob@example.test"
PASSWORD = "bob-secret"
XMLNS = ('xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" '
         'xmlns:CR="urn:ietf:params:xml:ns:carddav"')


def event(i):
    day = 1 + i % 28
    month = 1 + (i // 28) % 12
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:ev-{i}\r\nDTSTAMP:20240101T000000Z\r\n"
            f"DTSTART:2024{month:02d}{day:02d}T{8 + i % 10:02d}0000Z\r\n"
            f"DURATION:PT1H\r\nSUMMARY:Event number {i}\r\n"
            f"LOCATION:Room {i % 50}\r\n"
            f"DESCRIPTION:{'Some words about it. ' * 4}\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


def card(i):
    return ("BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"UID:card-{i}\r\nFN:Person {i}\r\nN:{i};Person;;;\r\n"
            f"EMAIL;TYPE=INTERNET:person{i}@example.org\r\n"
            f"TEL;TYPE=CELL:+49 30 {i:07d}\r\n"
            f"ORG:Company {i % 100}\r\nEND:VCARD\r\n")


class Client:
    """One keep-alive HTTP/1.1 connection with Basic credentials."""

    def __init__(self, host, port, source=None):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(
            host, port, timeout=120,
            source_address=(source, 0) if source else None)
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.auth = f"Basic {token}"

    def request(self, method, path, body=None, headers=None):
        h = {"Authorization": self.auth}
        h.update(headers or {})
        if isinstance(body, str):
            body = body.encode()
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        self.is_closed = r.will_close
        return r.status, data

    def close(self):
        self.conn.close()


class Server:
    def __init__(self, name, host, port, cal, book, pid):
        self.name, self.host, self.port = name, host, port
        self.cal, self.book, self.pid = cal, book, pid

    def client(self, source=None):
        return Client(self.host, self.port, source)


def hrefs_of(data):
    return re.findall(r"<(?:[A-Za-z]+:)?href>([^<]*)</", data.decode())


def put_all(srv, coll, make, count, ext, ctype):
    c = srv.client()
    t = time.monotonic()
    for i in range(count):
        st, _ = c.request("PUT", f"{coll}{i}.{ext}", make(i),
                          {"Content-Type": ctype, "If-None-Match": "*"})
        if st not in (201, 204):
            raise AssertionError(f"{srv.name} PUT {i}: {st}")
    secs = time.monotonic() - t
    c.close()
    return count / secs


def sync_token(data):
    text = data.decode()
    i = text.find("sync-token>")
    return text[i + 11:text.find("<", i)]


def sync_report(c, coll, token):
    body = (f'<?xml version="1.0"?><D:sync-collection {XMLNS}>'
            f'<D:sync-token>{token}</D:sync-token><D:sync-level>1'
            '</D:sync-level><D:prop><D:getetag/></D:prop>'
            '</D:sync-collection>')
    st, data = c.request("REPORT", coll, body,
                         {"Content-Type": "application/xml", "Depth": "1"})
    if st != 207:
        raise AssertionError(f"sync {coll}: {st} {data[:200]}")
    return data


def multiget(c, coll, hrefs, is_cal):
    for k in range(0, len(hrefs), 100):
        items = "".join(f"<D:href>{h}</D:href>" for h in hrefs[k:k + 100])
        body = (f'<?xml version="1.0"?><C:calendar-multiget {XMLNS}>'
                f'<D:prop><D:getetag/><C:calendar-data/></D:prop>{items}'
                '</C:calendar-multiget>' if is_cal else
                f'<?xml version="1.0"?><CR:addressbook-multiget {XMLNS}>'
                f'<D:prop><D:getetag/><CR:address-data/></D:prop>{items}'
                '</CR:addressbook-multiget>')
        st, data = c.request("REPORT", coll, body,
                             {"Content-Type": "application/xml",
                              "Depth": "1"})
        if st != 207:
            raise AssertionError(f"multiget {coll}: {st}")


def sync_times(srv, coll, is_cal, make, ext, ctype, count):
    """(initial ms, incremental ms)."""
    c = srv.client()
    t = time.monotonic()
    data = sync_report(c, coll, "")
    token = sync_token(data)
    hrefs = [h for h in hrefs_of(data) if h.rstrip("/") != coll.rstrip("/")]
    multiget(c, coll, hrefs, is_cal)
    initial = (time.monotonic() - t) * 1000
    if len(hrefs) < count:
        raise AssertionError(f"{srv.name}: {len(hrefs)} members synced")
    for i in range(50):
        c.request("PUT", f"{coll}{i}.{ext}",
                  make(i).replace("END:V", f"X-CHANGED:{i}\r\nEND:V", 1),
                  {"Content-Type": ctype})
        c.request("DELETE", f"{coll}{count - 1 - i}.{ext}")
    t = time.monotonic()
    data = sync_report(c, coll, token)
    if len(hrefs_of(data)) < 100:
        raise AssertionError(f"{srv.name}: incremental sync too short")
    multiget(c, coll, [f"{coll}{i}.{ext}" for i in range(50)], is_cal)
    incremental = (time.monotonic() - t) * 1000
    c.close()
    return initial, incremental


def get_rate(srv, coll, ext, count, threads, n=2000):
    done = [0]
    lock = threading.Lock()

    def worker(k):
        c = srv.client()
        rnd = random.Random(k)
        for _ in range(n // threads):
            st, _ = c.request("GET", f"{coll}{rnd.randrange(50, count - 50)}"
                              f".{ext}")
            if st != 200:
                raise AssertionError(f"{srv.name} GET: {st}")
            with lock:
                done[0] += 1
        c.close()

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    t = time.monotonic()
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    return done[0] / (time.monotonic() - t)


def mem_kib(pids):
    """Summed (VmRSS, Pss) of pids, KiB."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
        except OSError:
            pass
    return rss, pss


def idle_memory(srv, pids, count):
    """KiB of Pss (and RSS) per idle keep-alive connection, each after one
    authenticated PROPFIND, on a freshly started server warmed by one such
    connection."""
    path = "/dav/" if srv.name == "postroom" else "/"
    warm = srv.client("127.0.1.250")
    warm.request("PROPFIND", path, None, {"Depth": "0"})
    warm.close()
    time.sleep(1)
    rss0, pss0 = mem_kib(pids)
    conns = []
    for i in range(count):
        c = srv.client(f"127.0.1.{1 + i % 250}")
        st, _ = c.request("PROPFIND", path, None, {"Depth": "0"})
        if st != 207:
            raise AssertionError(f"{srv.name} PROPFIND: {st}")
        if c.is_closed:  # HTTP/1.0 without keep-alive: nothing stays
            c.close()
            for k in conns:
                k.close()
            return {"pss": None, "count": 0}
        conns.append(c)
    time.sleep(1)
    rss1, pss1 = mem_kib(pids)
    for c in conns:
        c.close()
    return {"pss": (pss1 - pss0) / count, "rss": (rss1 - rss0) / count,
            "before": pss0, "after": pss1, "count": count}


def measure(srv, args):
    r = {"name": srv.name}
    r["put_cal"] = put_all(srv, srv.cal, event, args.objects, "ics",
                           "text/calendar")
    r["put_book"] = put_all(srv, srv.book, card, args.objects, "vcf",
                            "text/vcard")
    r["sync_cal"] = sync_times(srv, srv.cal, True, event, "ics",
                               "text/calendar", args.objects)
    r["sync_book"] = sync_times(srv, srv.book, False, card, "vcf",
                                "text/vcard", args.objects)
    r["get_1"] = get_rate(srv, srv.cal, "ics", args.objects, 1)
    r["get_4"] = get_rate(srv, srv.cal, "ics", args.objects, 4)
    return r


def run_postroom(args):
    os.environ["POSTROOM_BUILD"] = os.path.join(ROOT, args.build)
    import harness
    harness.BUILD = os.environ["POSTROOM_BUILD"]
    harness.POSTROOMD = os.path.join(harness.BUILD, "servers", "postroomd",
                                     "postroomd")
    harness.POSTROOMCTL = os.path.join(harness.BUILD, "clients",
                                       "postroomctl", "postroomctl")
    from http_fixtures import wait_http
    pr = harness.Postroom(main={"log_level": "warn"}, sections={
        "httpd": {"workers": 1, "request_rate": 0,
                  "max_connections": args.idle + 100,
                  "max_connections_per_ip": args.idle + 100}}).start()
    try:
        pr.add_user(USER, PASSWORD)
        wait_http(pr)
        srv = Server("postroom", "127.0.0.1", pr.http,
                     f"/dav/calendars/{USER}/calendar/",
                     f"/dav/addressbooks/{USER}/contacts/", None)

        r = measure(srv, args)
        pr.stop()  # a fresh httpd for the memory figure
        pr.start()
        wait_http(pr)
        r["idle"] = idle_memory(srv, pr.children("httpd"), args.idle)
        return r
    except AssertionError:
        print("\n".join(l for l in pr.log().splitlines()
                        if "error" in l)[-3000:], file=sys.stderr)
        raise
    finally:
        pr.stop()
        pr.cleanup()


class BenchRadicale:
    """Debian's Radicale on a loopback port with bob (plain htpasswd),
    storage in a temporary folder, and max_connections raised (its default
    of 8 would queue the idle connections)."""

    def __init__(self, max_connections):
        from harness import free_port
        self.tmp = tempfile.mkdtemp(prefix="radicale-bench-")
        self.port = free_port()
        users = os.path.join(self.tmp, "users")
        with open(users, "w") as f:
            f.write(f"{USER}:{PASSWORD}\n")
        conf = os.path.join(self.tmp, "config")
        with open(conf, "w") as f:
            f.write(f"[server]\nhosts = 127.0.0.1:{self.port}\n"
                    f"max_connections = {max_connections}\ntimeout = 600\n"
                    f"[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\n"
                    "htpasswd_encryption = plain\n"
                    f"[storage]\nfilesystem_folder = {self.tmp}/collections\n"
                    "[rights]\ntype = owner_only\n"
                    "[logging]\nlevel = warning\n")
        self.log = open(os.path.join(self.tmp, "radicale.log"), "wb")
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", "-m", "radicale", "--config", conf],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                c = Client("127.0.0.1", self.port)
                c.request("OPTIONS", "/")
                c.close()
                return
            except OSError:
                if time.monotonic() > deadline or \
                        self.proc.poll() is not None:
                    raise AssertionError("radicale did not start")
                time.sleep(0.1)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_radicale(args):
    rad = BenchRadicale(args.idle + 50)
    try:
        srv = Server("radicale", "127.0.0.1", rad.port,
                     f"/{USER}/calendar/", f"/{USER}/contacts/",
                     rad.proc.pid)
        c = srv.client()
        c.request("PROPFIND", "/", None, {"Depth": "1"})  # makes bob's home
        st, _ = c.request("MKCALENDAR", srv.cal)
        st2, _ = c.request(
            "MKCOL", srv.book,
            f'<?xml version="1.0"?><D:mkcol {XMLNS}><D:set><D:prop>'
            '<D:resourcetype><D:collection/><CR:addressbook/>'
            '</D:resourcetype></D:prop></D:set></D:mkcol>',
            {"Content-Type": "application/xml"})
        c.close()
        if st != 201 or st2 != 201:
            raise AssertionError(f"radicale collections: {st} {st2}")
        r = measure(srv, args)
    finally:
        rad.stop()
    rad = BenchRadicale(args.idle + 50)  # a fresh process for memory
    try:
        srv.port = rad.port
        r["idle"] = idle_memory(srv, [rad.proc.pid], args.idle)
        return r
    finally:
        rad.stop()


def idle_text(m):
    if m["pss"] is None:
        return ("no idle connection: it answers HTTP/1.0 and closes after "
                "each response")
    return (f"{m['pss']:5.1f} KiB Pss ({m['rss']:5.1f} KiB RSS) per "
            f"connection ({m['before']} -> {m['after']} KiB Pss for "
            f"{m['count']})")


def row(r):
    return (f"{r['name']:9s} PUT {r['put_cal']:7.0f} events/s "
            f"{r['put_book']:7.0f} cards/s | sync initial "
            f"{r['sync_cal'][0]:7.0f} ms cal {r['sync_book'][0]:7.0f} ms "
            f"book, incremental {r['sync_cal'][1]:5.0f} ms cal "
            f"{r['sync_book'][1]:5.0f} ms book | GET {r['get_1']:6.0f}/s "
            f"(1 conn) {r['get_4']:6.0f}/s (4 conns) | idle "
            f"{idle_text(r['idle'])}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--objects", type=int, default=5000,
                    help="events in the calendar, cards in the book")
    ap.add_argument("--idle", type=int, default=1000,
                    help="idle keep-alive connections for memory")
    ap.add_argument("--no-radicale", action="store_true")
    args = ap.parse_args()
    print(f"bench/dav: {args.objects} events and {args.objects} cards, "
          f"{os.cpu_count()} cores, httpd workers=1, {args.idle} idle "
          "connections")
    results = [run_postroom(args)]
    print(row(results[0]), flush=True)
    if not args.no_radicale:
        results.append(run_radicale(args))
        print(row(results[1]), flush=True)
        p, r = results
        print("ratios postroom/radicale (higher is better for postroom):")
        print(f"  PUT events/s {p['put_cal'] / r['put_cal']:.1f}x, "
              f"PUT cards/s {p['put_book'] / r['put_book']:.1f}x")
        print(f"  initial sync: calendar {r['sync_cal'][0] / p['sync_cal'][0]:.1f}x"
              f" faster, book {r['sync_book'][0] / p['sync_book'][0]:.1f}x")
        print(f"  incremental sync: calendar "
              f"{r['sync_cal'][1] / p['sync_cal'][1]:.1f}x faster, book "
              f"{r['sync_book'][1] / p['sync_book'][1]:.1f}x")
        print(f"  GET/s {p['get_1'] / r['get_1']:.1f}x (1 conn), "
              f"{p['get_4'] / r['get_4']:.1f}x (4 conns)")
        if p["idle"]["pss"] and r["idle"]["pss"]:
            print(f"  memory (Pss) per idle connection: radicale / postroom "
                  f"{r['idle']['pss'] / p['idle']['pss']:.1f}x")
        else:
            print("  memory per idle connection: no ratio (Radicale keeps "
                  "no connection open)")


if __name__ == "__main__":
    main()
