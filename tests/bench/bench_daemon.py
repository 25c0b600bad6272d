"""Benchmarks of the daemon and the CLI, each against a floor measured in
the same run (the machine is shared and noisy: ratios count, not times).

    bench_daemon.py TWD TWCTL FLOORS [--quick] [--json FILE]

dispatch  N /bin/true jobs through `twctl submit --batch --wait`, until all
          are recorded, against a C loop of posix_spawn + waitpid (the
          ceiling); task-spooler (tsp) too when it is installed
cli       `twctl status` as a whole process, against posix_spawn of a
          program that does nothing; and a request on a connection
          (in-protocol round trip), against the same on a socket pair
history   `twctl history` queries on a store of many runs, against the same
          SQL run with sqlite3; and the in-protocol time of one query
idle      a daemon with many tasks due in more than an hour: its RSS and
          its voluntary context switches while it waits

--quick runs each once, tiny, so that the harness keeps working; no
timing is judged then.
"""
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

TWD, TWCTL, FLOORS = sys.argv[1:4]
QUICK = "--quick" in sys.argv
JSON_OUT = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
REPEAT = 1 if QUICK else 5
results = {}


class Daemon:
    """A twd in a private directory, with its own tasks file."""

    def __init__(self, tasks_yaml):
        self.dir = tempfile.mkdtemp(prefix="tw-bench.")
        os.chmod(self.dir, 0o700)
        self.env = dict(os.environ, HOME=self.dir,
                        TW_CONFIG=os.path.join(self.dir, "tasks.yaml"),
                        TW_STATE_DIR=os.path.join(self.dir, "state"),
                        TW_SOCKET=os.path.join(self.dir, "twd.sock"))
        with open(self.env["TW_CONFIG"], "w") as f:
            f.write(tasks_yaml)
        os.chmod(self.env["TW_CONFIG"], 0o600)
        self.proc = subprocess.Popen([TWD, "--foreground", "--no-watch"],
                                     env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(600):
            if self.twctl("status").returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("twd did not start")

    def twctl(self, *args, stdin=None):
        return subprocess.run([TWCTL, *args], env=self.env, stdin=stdin,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def request(self, sock, cmd, args=None, rid=1):
        sock.sendall(json.dumps({"id": rid, "cmd": cmd, "args": args or {}}).encode() + b"\n")
        line = sock.makefile("rb").readline()
        return json.loads(line)

    def stop(self):
        self.twctl("shutdown")
        self.proc.wait(timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


def stats(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def row(name, ours, floor, unit, target=None):
    """One line of the table; ratio is ours / floor (medians)."""
    ratio = ours["median"] / floor["median"]
    results[name] = {"ours": ours, "floor": floor, "unit": unit, "ratio": ratio,
                     "target": target}
    print(f"{name:<28} {ours['median']:>12.4g} {floor['median']:>12.4g} {unit:<8} "
          f"{ratio:>7.2f}  ({ours['min']:.4g}..{ours['max']:.4g})  {target or ''}")


def floor_run(mode, n):
    out = subprocess.run([FLOORS, mode, str(n)], stdout=subprocess.PIPE, check=True)
    return float(out.stdout)


def bench_dispatch():
    n = 50 if QUICK else 10000
    d = Daemon("tasks: {}\n")
    jobs = "".join("/bin/true\n" for _ in range(n)).encode()
    ours, floor = [], []
    try:
        # Three, not five: 10,000 jobs take a while.
        for _ in range(min(REPEAT, 3)):
            t0 = time.monotonic()
            with tempfile.TemporaryFile() as f:
                f.write(jobs)
                f.seek(0)
                r = d.twctl("submit", "--batch", "--wait", stdin=f)
            if r.returncode != 0:
                raise RuntimeError(r.stderr.decode())
            ours.append(n / (time.monotonic() - t0))
            floor.append(n / floor_run("spawn", n))
    finally:
        d.stop()
    row(f"dispatch {n} jobs", stats(ours), stats(floor), "jobs/s", ">= 0.8")
    tsp = shutil.which("tsp") or shutil.which("ts")
    if tsp is None:
        print("  (task-spooler is not installed: apt-get install task-spooler to compare)")


def bench_cli():
    d = Daemon("tasks:\n" + "".join(f"  t{i}: {{command: 'true'}}\n" for i in range(100)))
    n = 5 if QUICK else 200
    ours, floor, rtt, rtt_floor = [], [], [], []
    try:
        for _ in range(REPEAT):
            t0 = time.monotonic()
            for _ in range(n):
                d.twctl("status")
            ours.append((time.monotonic() - t0) / n * 1e3)
            floor.append(floor_run("exec", n) / n * 1e3)
            s = socket.socket(socket.AF_UNIX)
            s.connect(d.env["TW_SOCKET"])
            f = s.makefile("rb")
            t0 = time.monotonic()
            for i in range(n):
                s.sendall(b'{"id": %d, "cmd": "status"}\n' % i)
                f.readline()
            rtt.append((time.monotonic() - t0) / n * 1e6)
            s.close()
            a, b = socket.socketpair()
            fb, fa = b.makefile("rb"), a.makefile("rb")
            t0 = time.monotonic()
            for i in range(n):
                a.sendall(b'{"id": %d, "cmd": "status"}\n' % i)
                b.sendall(fb.readline())
                fa.readline()
            rtt_floor.append((time.monotonic() - t0) / n * 1e6)
            a.close()
            b.close()
    finally:
        d.stop()
    row("twctl status (process)", stats(ours), stats(floor), "ms", "<= 1.5")
    row("status round trip", stats(rtt), stats(rtt_floor), "us", "<= 2")


def bench_history():
    n = 1000 if QUICK else 1000000
    d = Daemon("tasks:\n" + "".join(f"  t{i}: {{command: 'true'}}\n" for i in range(10)))
    d.stop_keep = True
    d.twctl("shutdown")
    d.proc.wait(timeout=60)
    db = os.path.join(d.env["TW_STATE_DIR"], "twd.db")
    con = sqlite3.connect(db)
    now = int(time.time() * 1000)
    con.executemany(
        "INSERT INTO runs (task, trigger, scheduled_at, started_at, finished_at, status, exit_code, duration_ms) "
        "VALUES (?, 'schedule', ?, ?, ?, ?, ?, 5)",
        ((f"t{i % 10}", now - (n - i) * 1000, now - (n - i) * 1000, now - (n - i) * 1000 + 5,
          "failed" if i % 97 == 0 else "ok", 1 if i % 97 == 0 else 0) for i in range(n)))
    con.commit()
    con.close()
    d.proc = subprocess.Popen([TWD, "--foreground", "--no-watch"], env=d.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if d.twctl("status").returncode == 0:
            break
        time.sleep(0.05)
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - 86400))
    m = 3 if QUICK else 20
    queries = [
        (["history", "-n", "20", "t3"],
         "SELECT * FROM runs WHERE task = 't3' ORDER BY id DESC LIMIT 20"),
        (["history", "--status", "failed", "--since", "1d"],
         f"SELECT * FROM runs WHERE status = 'failed' AND started_at >= {now - 86400000} ORDER BY id DESC LIMIT 20"),
    ]
    try:
        for args, sql in queries:
            ours, floor, proto = [], [], []
            for _ in range(REPEAT):
                t0 = time.monotonic()
                for _ in range(m):
                    r = d.twctl(*args)
                    if r.returncode != 0:
                        raise RuntimeError(r.stderr.decode())
                ours.append((time.monotonic() - t0) / m * 1e3)
                t0 = time.monotonic()
                for _ in range(m):
                    subprocess.run(["sqlite3", db, sql], stdout=subprocess.DEVNULL, check=True)
                floor.append((time.monotonic() - t0) / m * 1e3)
                s = socket.socket(socket.AF_UNIX)
                s.connect(d.env["TW_SOCKET"])
                f = s.makefile("rb")
                req = {"task": "t3"} if "t3" in args else {"status": "failed", "since": time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400))}
                t0 = time.monotonic()
                for i in range(m):
                    s.sendall(json.dumps({"id": i, "cmd": "history", "args": req}).encode() + b"\n")
                    f.readline()
                proto.append((time.monotonic() - t0) / m * 1e3)
                s.close()
            label = "history " + " ".join(args[1:])
            row(label, stats(ours), stats(floor), "ms", "vs sqlite3")
            results[label]["in_protocol_ms"] = stats(proto)
            print(f"  in protocol: {statistics.median(proto):.3f} ms per query (target <= 2 ms) "
                  f"on {n} runs")
    finally:
        d.stop()


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def bench_idle():
    for n in ((100,) if QUICK else (1000, 100000)):
        tasks = "tasks:\n" + "".join(f"  t{i}: {{command: 'true', every: 2h}}\n" for i in range(n))
        d = Daemon(tasks)
        wait = 0.5 if QUICK else 10
        try:
            time.sleep(0.5)
            before = proc_status(d.proc.pid)
            time.sleep(wait)
            after = proc_status(d.proc.pid)
        finally:
            d.stop()
        switches = int(after["voluntary_ctxt_switches"]) - int(before["voluntary_ctxt_switches"])
        rss = int(after["VmRSS"].split()[0])
        results[f"idle {n} tasks"] = {"rss_kb": rss, "wakeups": switches, "seconds": wait}
        print(f"idle, {n} tasks: RSS {rss / 1024:.1f} MiB, {switches} wakeups in {wait:g} s "
              f"(targets: 0 wakeups; <= {'4' if n <= 1000 else '64'} MiB)")


print(f"{'benchmark':<28} {'taskweaver':>12} {'floor':>12} {'unit':<8} {'ratio':>7}  (min..max)  target")
print("(ratio: TaskWeaver's median over the floor's, both measured now)")
bench_dispatch()
bench_cli()
bench_history()
bench_idle()
if JSON_OUT:
    os.makedirs(os.path.dirname(JSON_OUT), exist_ok=True)
    with open(JSON_OUT, "w") as f:
        json.dump(results, f, indent=2)
