"""A small HTTP (or, with a certificate, HTTPS) server for the tests, on
127.0.0.1 and a free port, which it writes to PORTFILE once it listens.
Each request is appended to LOG as a JSON line (method, path, headers,
body). Paths:

  /ok        200, a JSON body
  /flaky     503 the first time, then 200
  /fail      500
  /big       200, 200,000 bytes of body
  /slow      waits 30 s, then 200
  /sms       201, as Twilio's Messages API answers (the SMS example)

    http-fake.py PORTFILE LOG [CERT KEY]
"""
import http.server
import json
import ssl
import sys
import time

PORTFILE, LOG = sys.argv[1], sys.argv[2]
hits = {}


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": dict(self.headers), "body": body}) + "\n")
        path = self.path.split("?")[0]
        hits[path] = hits.get(path, 0) + 1
        status, out = 404, b"no such path\n"
        if path == "/ok":
            status, out = 200, b'{"ok": true}'
        elif path == "/flaky":
            status, out = (503, b"busy\n") if hits[path] == 1 else (200, b"better now\n")
        elif path == "/fail":
            status, out = 500, b"it broke\n"
        elif path == "/big":
            status, out = 200, b"x" * 200000
        elif path == "/slow":
            time.sleep(30)
            status, out = 200, b"late\n"
        elif path.endswith("/Messages.json"):
            status, out = 201, b'{"sid": "SM123", "status": "queued"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.send_header("X-Fake", "yes")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = answer

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
