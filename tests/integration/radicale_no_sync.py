"""Debian's Radicale as a CalDAV/CardDAV server from before RFC 6578, for
the client's fallback to ETag comparison: run under /usr/bin/python3 with
Radicale's own arguments after the path of a request log. Radicale's
application is wrapped: sync-collection is taken out of every
supported-report-set (RFC 3253 §3.1.5), a sync-collection REPORT is
refused as an unsupported report (403 with DAV:supported-report, RFC 3253
§3.6), and each request is logged as "METHOD PATH DEPTH REPORT" so that a
test can tell how the client listed a collection. Radicale itself is not
changed: its storage, ETags, CTags and multiget answer as usual."""
import io
import sys
import xml.etree.ElementTree as ET

import radicale
import radicale.__main__
import radicale.server

REFUSED = (b'<?xml version="1.0" encoding="utf-8"?>\n'
           b'<D:error xmlns:D="DAV:"><D:supported-report/></D:error>')


def report_name(body):
    try:
        return ET.fromstring(body).tag.split("}")[-1]
    except ET.ParseError:
        return "-"


def without_sync_collection(body):
    root = ET.fromstring(body)
    for rset in root.iter("{DAV:}supported-report-set"):
        for sup in list(rset):
            if sup.find("{DAV:}report/{DAV:}sync-collection") is not None:
                rset.remove(sup)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


class NoSyncCollection:
    def __init__(self, app, log_path):
        self.app = app
        self.log_path = log_path

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        report = report_name(body) if method == "REPORT" else "-"
        with open(self.log_path, "a") as f:
            f.write(f"{method} {environ.get('PATH_INFO', '')} "
                    f"{environ.get('HTTP_DEPTH', '-')} {report}\n")
        if report == "sync-collection":
            start_response("403 Forbidden", [
                ("Content-Type", "application/xml; charset=utf-8"),
                ("Content-Length", str(len(REFUSED)))])
            return [REFUSED]
        got = {}

        def keep(status, headers, exc_info=None):
            got["status"], got["headers"] = status, headers

        out = b"".join(self.app(environ, keep))
        headers = got["headers"]
        encoded = any(k.lower() == "content-encoding" for k, _ in headers)
        if (method == "PROPFIND" and got["status"].startswith("207")
                and not encoded):
            out = without_sync_collection(out)
            headers = [(k, v) for k, v in headers
                       if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(out))))
        start_response(got["status"], headers)
        return [out]


def main():
    log_path = sys.argv.pop(1)
    real = radicale.Application
    radicale.server.Application = (
        lambda conf: NoSyncCollection(real(conf), log_path))
    radicale.__main__.run()


if __name__ == "__main__":
    main()
