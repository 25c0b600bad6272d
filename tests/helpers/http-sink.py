"""An HTTP listener on 127.0.0.1 for the webhook tests.

http-sink.py PORTFILE OUTFILE [hang]: writes the port it listens on to
PORTFILE, then appends each POST as one JSON line {"path", "type", "body"}
to OUTFILE and answers 204. With "hang", it accepts connections and never
answers, like a webhook that is down in the worst way.
"""
import http.server
import json
import socket
import sys
import time

portfile, outfile = sys.argv[1], sys.argv[2]
hang = len(sys.argv) > 3 and sys.argv[3] == "hang"

if hang:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    with open(portfile, "w") as f:
        f.write(str(s.getsockname()[1]))
    held = []
    while True:
        conn, _ = s.accept()
        held.append(conn)

class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(outfile, "a") as f:
            f.write(json.dumps({"path": self.path,
                                "type": self.headers.get("Content-Type"),
                                "body": body.decode()}) + "\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Sink)
with open(portfile, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
