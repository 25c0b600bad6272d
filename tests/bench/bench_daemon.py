"""Benchmarks of the daemon and the CLI, each against a floor measured in
the same run (the machine is shared and noisy: ratios count, not times).

    bench_daemon.py TWD TWCTL FLOORS [--quick] [--json FILE] [--only NAME,...]

dispatch  N /bin/true jobs through `twctl submit --batch --wait`, until all
          are recorded, against a C loop of posix_spawn + waitpid (the
          ceiling): with twd's default slots (one a CPU), and with one
          slot, a job at a time as the loop runs them; then the default
          slots against as many such loops side by side, the ceiling of
          that many jobs at once on this machine; and task-spooler
          (tsp), a job per `tsp /bin/true`, with 1 and 2 slots, against
          the single loop
load      twd's start to its socket answering, with a generated file of
          100,000 cron tasks, against libyaml parsing it into events
lateness  fires of an `every: 1s` task and a 6-field cron task, each job
          noting its own clock less its due instant, against a C program
          sleeping on a timerfd to such instants and spawning the same job
cli       `twctl status` as a whole process, against a C client doing
          connect + one write/read on twd's socket (spawned the same way);
          and a request on a connection (in-protocol round trip), against
          the same to a C server in another process that echoes each line
history   `twctl history` queries on a store of many runs, against the same
          SQL run with sqlite3; and the in-protocol time of one query
idle      a daemon with many tasks due in more than an hour: its PSS (and
          private dirty and RSS) and its voluntary context switches while
          it waits
dashboard the CPU time `twctl dash` takes, on a terminal, with many tasks
          and running jobs
metrics   a scrape of GET /metrics (curl, the whole text) of a daemon with
          100,000 tasks, against curl reading the same text from a file;
          and the lateness p99 of an `every: 1s` task in that daemon while
          it is scraped every second, against the same daemon unscraped
report    `twctl report --since 30d --json` over a history of 1,000,000
          runs in 30 days (1,000 tasks), against sqlite3 reading the same
          columns of the same rows (one aggregate: no output)
executors N `true` jobs submitted to an ssh executor of one slot (a run at a
          time), against a loop of `ssh` running `true` on the same
          sshd through a shared connection of its own; and to a Slurm
          executor of one slot, against a loop of `srun true`. The
          servers are the tests' own, started by with-servers.sh

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

    def __init__(self, tasks_yaml, *twd_args):
        self.dir = tempfile.mkdtemp(prefix="tw-bench.")
        os.chmod(self.dir, 0o700)
        self.env = dict(os.environ, HOME=self.dir,
                        TW_CONFIG=os.path.join(self.dir, "tasks.yaml"),
                        TW_STATE_DIR=os.path.join(self.dir, "state"),
                        TW_SOCKET=os.path.join(self.dir, "twd.sock"))
        with open(self.env["TW_CONFIG"], "w") as f:
            f.write(tasks_yaml)
        os.chmod(self.env["TW_CONFIG"], 0o600)
        self.start(*twd_args)

    def start(self, *twd_args):
        """twd again in the same directory (its history as left)."""
        self.proc = subprocess.Popen([TWD, "--foreground", "--no-watch", *twd_args],
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


def percentile(values, p):
    """The p-th percentile (0-100) of values, nearest rank."""
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]


def row(name, ours, floor, unit, target=None):
    """One line of the table; ratio is ours / floor (medians)."""
    ratio = ours["median"] / floor["median"]
    results[name] = {"ours": ours, "floor": floor, "unit": unit, "ratio": ratio,
                     "target": target}
    print(f"{name:<28} {ours['median']:>12.4g} {floor['median']:>12.4g} {unit:<8} "
          f"{ratio:>7.2f}  ({ours['min']:.4g}..{ours['max']:.4g})  {target or ''}")


def floor_run(mode, n, *args):
    out = subprocess.run([FLOORS, mode, str(n), *map(str, args)], stdout=subprocess.PIPE,
                         check=True)
    return float(out.stdout)


def dispatch_rate(d, n):
    """Jobs a second for n /bin/true through `twctl submit --batch --wait`."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as f:
        f.write("".join("/bin/true\n" for _ in range(n)).encode())
        f.seek(0)
        r = d.twctl("submit", "--batch", "--wait", stdin=f)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.decode())
    return n / (time.monotonic() - t0)


def bench_dispatch():
    n = 50 if QUICK else 10000
    slots = os.cpu_count() or 1
    default, one = Daemon("tasks: {}\n"), Daemon("max_concurrent: 1\ntasks: {}\n")
    # Every job counted against a capacity (the default slots still bind).
    capped = Daemon("capacity: {cpus: 64, memory: 64G}\n"
                    "defaults: {resources: {cpus: 0.25, memory: 64M}}\ntasks: {}\n")
    ours, ours_one, ours_cap, floor, floor_side = [], [], [], [], []
    try:
        # Three, not five: 10,000 jobs take a while. Interleaved, so that
        # a slow minute of the machine falls on all alike.
        for _ in range(min(REPEAT, 3)):
            ours.append(dispatch_rate(default, n))
            floor.append(n / floor_run("spawn", n))
            ours_one.append(dispatch_rate(one, n))
            floor_side.append(n / floor_run("spawn", n, slots))
            ours_cap.append(dispatch_rate(capped, n))
    finally:
        default.stop()
        one.stop()
        capped.stop()
    row(f"dispatch {n} jobs", stats(ours), stats(floor), "jobs/s", ">= 0.8")
    row(f"  1 slot (max_concurrent: 1)", stats(ours_one), stats(floor), "jobs/s", ">= 0.8")
    row(f"  admitted by capacity, vs none", stats(ours_cap), stats(ours), "jobs/s",
        "(admission's cost)")
    row(f"  {slots} slots, {slots} loops' floor", stats(ours), stats(floor_side), "jobs/s",
        "(the same jobs at once)")
    tsp = shutil.which("tsp")
    if tsp is None:
        print("  (task-spooler is not installed: apt-get install task-spooler to compare)")
        return
    # A tsp client process per job: fewer jobs, or this alone takes minutes.
    m = 20 if QUICK else 1000
    for slots in (1, 2):
        peer, floor = [], []
        for _ in range(min(REPEAT, 3)):
            peer.append(m / tsp_run(tsp, m, slots))
            floor.append(m / floor_run("spawn", m))
        row(f"task-spooler {slots} slot{'s' if slots > 1 else ''}, {m} jobs", stats(peer),
            stats(floor), "jobs/s", "(a peer)")


def tsp_run(tsp, n, slots):
    """Seconds for task-spooler to run n /bin/true jobs, each queued by a
    `tsp` process of its own as a user would, until all have ended."""
    d = tempfile.mkdtemp(prefix="tw-bench-tsp.")
    env = dict(os.environ, TS_SOCKET=os.path.join(d, "socket"), TMPDIR=d)
    run = lambda *a: subprocess.run([tsp, *a], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, check=True).stdout.decode()
    try:
        run("-S", str(slots))
        t0 = time.monotonic()
        subprocess.run(["sh", "-c", 'i=0; while [ $i -lt %d ]; do "%s" /bin/true >/dev/null '
                        '|| exit 1; i=$((i + 1)); done' % (n, tsp)], env=env, check=True)
        run("-w")
        # -w waits for the last job; with 2 slots another may still run.
        while any(w in run("-l") for w in (" running ", " queued ")):
            time.sleep(0.001)
        return time.monotonic() - t0
    finally:
        subprocess.run([tsp, "-K"], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(d, ignore_errors=True)


def bench_lateness():
    fires = 3 if QUICK else 300
    d = tempfile.mkdtemp(prefix="tw-bench-late.")
    out, floor_out = os.path.join(d, "ours"), os.path.join(d, "floor")
    job = f"{FLOORS} stamp {out}"
    dm = Daemon("tasks:\n"
                f"  every: {{command: '{job}', every: 1s}}\n"
                f"  cron: {{command: '{job}', schedule: '* * * * * *'}}\n")
    try:
        ours = {}
        while min(len(ours.get(t, ())) for t in ("every", "cron")) < fires:
            time.sleep(0.5)
            ours = {}
            if os.path.exists(out):
                for line in open(out):
                    task, us, phase = line.split()
                    ours.setdefault(task, []).append(int(us) / 1000)
                    if task == "every":
                        every_phase = phase
    finally:
        dm.stop()
    # The floor sleeps to whole seconds and to the every task's phase.
    subprocess.run([FLOORS, "timer", str(fires), every_phase, floor_out], check=True)
    time.sleep(0.2)
    floor = {}
    for line in open(floor_out):
        task, us, _ = line.split()
        floor.setdefault(task, []).append(int(us) / 1000)
    shutil.rmtree(d, ignore_errors=True)
    for task, label in (("every", "every: 1s"), ("cron", "cron 6 fields")):
        a, b = ours[task][:fires], floor["floor-" + task][:fires]
        for p in (50, 99):
            row(f"lateness {label} p{p}",
                {"median": percentile(a, p), "min": min(a), "max": max(a)},
                {"median": percentile(b, p), "min": min(b), "max": max(b)}, "ms",
                "<= 2")


def rtt_us(path, n):
    """Microseconds per status request and reply on one connection to path."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rb")
    t0 = time.monotonic()
    for i in range(n):
        s.sendall(b'{"id": %d, "cmd": "status"}\n' % i)
        f.readline()
    elapsed = time.monotonic() - t0
    s.close()
    return elapsed / n * 1e6


def bench_load():
    n = 100 if QUICK else 100000
    rules = ["*/5 * * * *", "30 2 * * *", "0 9 * * MON-FRI", "15 */4 1,15 * *", "@daily",
             "0 0 L * *"]
    d = Daemon("tasks: {}\n")
    d.twctl("shutdown")
    d.proc.wait(timeout=60)
    with open(d.env["TW_CONFIG"], "w") as f:
        f.write("defaults:\n  timezone: Europe/Berlin\ntasks:\n")
        for i in range(n):
            f.write(f"  task-{i}:\n    command: echo {i}\n    schedule: \"{rules[i % 6]}\"\n")
    ours, floor = [], []
    try:
        for _ in range(REPEAT):
            t0 = time.monotonic()
            proc = subprocess.Popen([TWD, "--foreground", "--no-watch"], env=d.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while True:
                try:
                    s = socket.socket(socket.AF_UNIX)
                    s.connect(d.env["TW_SOCKET"])
                    s.sendall(b'{"id": 1, "cmd": "status"}\n')
                    if b'"ok":true' in s.makefile("rb").readline():
                        break
                except OSError:
                    pass
                finally:
                    s.close()
                if proc.poll() is not None:
                    raise RuntimeError("twd did not start")
                time.sleep(0.001)
            ours.append(time.monotonic() - t0)
            d.twctl("shutdown")
            proc.wait(timeout=60)
            floor.append(float(subprocess.run([FLOORS, "parse", d.env["TW_CONFIG"]],
                                              stdout=subprocess.PIPE, check=True).stdout))
    finally:
        shutil.rmtree(d.dir, ignore_errors=True)
    row(f"load {n} tasks (to socket)", stats(ours), stats(floor), "s", "<= 3")


def bench_cli():
    d = Daemon("tasks:\n" + "".join(f"  t{i}: {{command: 'true'}}\n" for i in range(100)))
    echo_path = os.path.join(d.dir, "echo.sock")
    echo = subprocess.Popen([FLOORS, "echo", echo_path])
    n = 5 if QUICK else 200
    ours, floor, rtt, rtt_floor = [], [], [], []
    try:
        while not os.path.exists(echo_path):
            time.sleep(0.01)
        for _ in range(REPEAT):
            t0 = time.monotonic()
            for _ in range(n):
                d.twctl("status")
            ours.append((time.monotonic() - t0) / n * 1e3)
            # The same spawning from here, of a C client that asks twd.
            t0 = time.monotonic()
            for _ in range(n):
                subprocess.run([FLOORS, "ask", d.env["TW_SOCKET"]], check=True)
            floor.append((time.monotonic() - t0) / n * 1e3)
            rtt.append(rtt_us(d.env["TW_SOCKET"], n * 10))
            rtt_floor.append(rtt_us(echo_path, n * 10))
    finally:
        echo.kill()
        echo.wait()
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
    d.start()
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


def smaps_rollup(pid):
    """The kB figures of /proc/PID/smaps_rollup, by name (Pss, Private_Dirty ...)."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if v.strip().endswith("kB"):
                out[k] = int(v.split()[0])
    return out


def idle_measure(d, wait):
    """What twd d does idle for wait seconds: wakeups, RSS and PSS."""
    time.sleep(0.5)
    before = proc_status(d.proc.pid)
    time.sleep(wait)
    after = proc_status(d.proc.pid)
    mem = smaps_rollup(d.proc.pid)
    switches = int(after["voluntary_ctxt_switches"]) - int(before["voluntary_ctxt_switches"])
    return switches, int(after["VmRSS"].split()[0]), mem


def bench_idle():
    wait = 0.5 if QUICK else 60
    for n in ((100,) if QUICK else (1000, 100000)):
        tasks = "tasks:\n" + "".join(f"  t{i}: {{command: 'true', every: 2h}}\n" for i in range(n))
        d = Daemon(tasks)
        try:
            switches, rss, mem = idle_measure(d, wait)
        finally:
            d.stop()
        results[f"idle {n} tasks"] = {"rss_kb": rss, "pss_kb": mem["Pss"],
                                      "private_dirty_kb": mem["Private_Dirty"],
                                      "wakeups": switches, "seconds": wait}
        # PSS: a shared library's pages count by the share of them twd
        # uses, as they cost the machine; RSS counts them whole.
        print(f"idle, {n} tasks: PSS {mem['Pss'] / 1024:.1f} MiB "
              f"(private dirty {mem['Private_Dirty'] / 1024:.1f}, RSS {rss / 1024:.1f}), "
              f"{switches} wakeups in {wait:g} s "
              f"(targets: 0 wakeups; PSS <= {'4' if n <= 1000 else '64'} MiB)")
    bench_idle_triggers(wait)


def bench_idle_triggers(wait):
    """
    10 local git and 10 path triggers watched: the daemon sleeps in the
    kernel until something changes. Baseline, in the same run: the same
    20 tasks on a 2 h interval. Then one commit, to show it is watching.
    """
    base = tempfile.mkdtemp(prefix="tw-bench-triggers.")
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.org",
               GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@example.org")
    try:
        lines = []
        for i in range(10):
            repo = os.path.join(base, f"repo{i}")
            subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True, env=env)
            subprocess.run(["git", "-C", repo, "commit", "-q", "--allow-empty", "-m", "a"],
                           check=True, env=env)
            os.mkdir(os.path.join(base, f"dir{i}"))
            lines.append(f"  g{i}: {{command: 'true', on: {{git: {{repo: {repo}, branch: main}}}}}}\n")
            lines.append(f"  p{i}: {{command: 'true', on: {{path: {{watch: [{base}/dir{i}]}}}}}}\n")
        plain = "tasks:\n" + "".join(f"  t{i}: {{command: 'true', every: 2h}}\n" for i in range(20))
        d = Daemon(plain)
        try:
            floor, _, _ = idle_measure(d, wait)
        finally:
            d.stop()
        d = Daemon("tasks:\n" + "".join(lines))
        try:
            ours, rss, mem = idle_measure(d, wait)
            subprocess.run(["git", "-C", os.path.join(base, "repo0"), "commit", "-q",
                            "--allow-empty", "-m", "b"], check=True, env=env)
            for _ in range(200):
                out = d.twctl("--json", "history", "g0").stdout
                if out and json.loads(out):
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("the commit did not run g0")
        finally:
            d.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    results["idle 10 git + 10 path triggers"] = {"wakeups": ours, "baseline_wakeups": floor,
                                                 "pss_kb": mem["Pss"], "seconds": wait}
    print(f"idle, 10 git + 10 path triggers: {ours} wakeups in {wait:g} s "
          f"(same run, 20 tasks every 2h: {floor}; target 0), PSS {mem['Pss'] / 1024:.1f} MiB; "
          f"a commit then ran its task")


def bench_dashboard():
    ntasks, njobs, secs = (100, 2, 2) if QUICK else (10000, 50, 60)
    d = Daemon(f"max_concurrent: {njobs + 10}\ntasks:\n" +
               "".join(f"  t{i}: {{command: 'true', every: 2h}}\n" for i in range(ntasks)),
               "--grace", "1s")
    try:
        with tempfile.TemporaryFile() as f:
            f.write(b"sleep 3600\n" * njobs)
            f.seek(0)
            if d.twctl("submit", "--batch", stdin=f).returncode != 0:
                raise RuntimeError("submit failed")
        for _ in range(600):
            if json.loads(d.twctl("--json", "status").stdout)["running"] == njobs:
                break
            time.sleep(0.05)
        # tmux is the terminal, as in the dashboard's tests.
        session = f"tw-bench-{os.getpid()}"
        env = " ".join(f"{k}={v}" for k, v in d.env.items() if k.startswith("TW_") or k == "HOME")
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "50",
                        f"env {env} {TWCTL} dash"], check=True)
        try:
            pid = int(subprocess.run(["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"],
                                     stdout=subprocess.PIPE, check=True).stdout)

            def screen():
                return subprocess.run(["tmux", "capture-pane", "-p", "-t", session],
                                      stdout=subprocess.PIPE, check=True).stdout.decode()

            def cpu_ticks():
                with open(f"/proc/{pid}/stat") as st:
                    fields = st.read().rsplit(")", 1)[1].split()
                return int(fields[11]) + int(fields[12])

            # Measured only once it shows them all (not an error, say).
            want = (f"{ntasks} tasks", f"{njobs} running")
            for _ in range(100):
                if all(w in screen() for w in want):
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError("the dashboard does not show the tasks and jobs:\n" + screen())
            before = cpu_ticks()
            time.sleep(secs)
            used = (cpu_ticks() - before) / os.sysconf("SC_CLK_TCK")
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session])
    finally:
        d.stop()
    pct = used / secs * 100
    results["dashboard"] = {"cpu_percent": pct, "seconds": secs, "tasks": ntasks, "jobs": njobs}
    print(f"dashboard, {ntasks} tasks, {njobs} running: {pct:.2f}% of a core over {secs} s "
          f"(target < 5%)")


def bench_executors():
    ssh_dir = os.environ.get("TW_BENCH_SSH_DIR")
    if ssh_dir is None:
        print("  (executors: no servers; make bench runs this through "
              "tests/bench/with-servers.sh)")
        return
    n = 3 if QUICK else 30
    user = subprocess.run(["id", "-un"], stdout=subprocess.PIPE, text=True).stdout.strip()
    with open(os.path.join(ssh_dir, "executor.yaml")) as f:
        box = f.read().strip().replace("{type: ssh,", "{type: ssh, max_concurrent: 1,", 1)
    cm = tempfile.mkdtemp(prefix="tw-cm.")
    floor_ssh = ["ssh", "-F", "/dev/null", "-T", "-n", "-o", "BatchMode=yes",
                 "-o", f"UserKnownHostsFile={ssh_dir}/known_hosts",
                 "-o", "IdentitiesOnly=yes", "-o", "ControlMaster=auto",
                 "-o", f"ControlPath={cm}/box", "-o", "ControlPersist=60",
                 "-p", os.environ["TW_BENCH_SSH_PORT"], "-i", f"{ssh_dir}/client_key",
                 "-l", user, "--", "127.0.0.1", "true"]
    sides = [("ssh executor", f"executors:\n  box: {box}\ndefaults: {{executor: box}}\n"
              "tasks: {}\n", floor_ssh)]
    if os.environ.get("SLURM_CONF"):
        sides.append(("Slurm executor", "executors:\n  hpc: {type: slurm, max_concurrent: 1}\n"
                      "defaults: {executor: hpc}\ntasks: {}\n",
                      ["srun", "--ntasks=1", "--quiet", "true"]))
    else:
        print("  (Slurm executor: no cluster here: needs root and slurm-wlm)")
    try:
        for name, tasks, floor_cmd in sides:
            d = Daemon(tasks)
            ours, floor = [], []
            try:
                for _ in range(min(REPEAT, 3)):
                    ours.append(dispatch_rate(d, n))
                    t0 = time.monotonic()
                    for _ in range(n):
                        subprocess.run(floor_cmd, check=True, stdout=subprocess.DEVNULL)
                    floor.append(n / (time.monotonic() - t0))
            finally:
                d.stop()
            row(f"{name}, {n} runs", stats(ours), stats(floor), "runs/s", ">= 0.8")
    finally:
        subprocess.run(floor_ssh[:-3] + ["-O", "exit", "127.0.0.1"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(cm, ignore_errors=True)

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stamp_lateness(path, task):
    """Milliseconds late of each fire the stamp job wrote for task."""
    if not os.path.exists(path):
        return []
    return [int(line.split()[1]) / 1000 for line in open(path) if line.split()[0] == task]


def bench_metrics():
    import threading
    import urllib.request
    n = 100 if QUICK else 100000
    fires = 3 if QUICK else 60
    port = free_port()
    work = tempfile.mkdtemp(prefix="tw-bench-metrics.")
    stamp = os.path.join(work, "stamp")
    rules = ["*/5 * * * *", "30 2 * * *", "0 9 * * MON-FRI", "@daily"]
    tasks = (f"metrics: {{listen: {port}}}\ntasks:\n"
             f"  every: {{command: '{FLOORS} stamp {stamp}', every: 1s}}\n" +
             "".join(f"  task-{i}: {{command: 'true', schedule: '{rules[i % 4]}'}}\n"
                     for i in range(n)))
    d = Daemon(tasks)
    url = f"http://127.0.0.1:{port}/metrics"
    text = os.path.join(work, "metrics.txt")
    ours, floor = [], []
    try:
        for _ in range(REPEAT):
            t0 = time.monotonic()
            subprocess.run(["curl", "-fsS", "-o", text, url], check=True)
            ours.append((time.monotonic() - t0) * 1e3)
            t0 = time.monotonic()
            subprocess.run(["curl", "-fsS", "-o", os.devnull, "file://" + text], check=True)
            floor.append((time.monotonic() - t0) * 1e3)
        size = os.path.getsize(text)
        row(f"scrape {n} tasks", stats(ours), stats(floor), "ms", "< 100 ms")
        print(f"  ({size / 1e6:.1f} MB of text, "
              f"{sum(1 for line in open(text) if not line.startswith('#'))} series)")

        # Lateness with and without a scrape each second.
        def late_p99(scraped):
            if os.path.exists(stamp):
                os.unlink(stamp)
            stop = threading.Event()

            def scrape():
                while not stop.wait(1.0):
                    urllib.request.urlopen(url).read()
            t = threading.Thread(target=scrape)
            if scraped:
                t.start()
            while len(stamp_lateness(stamp, "every")) < fires:
                time.sleep(0.5)
            stop.set()
            if scraped:
                t.join()
            v = stamp_lateness(stamp, "every")[:fires]
            return {"median": percentile(v, 99), "min": min(v), "max": max(v)}
        quiet = late_p99(False)
        busy = late_p99(True)
        row(f"lateness p99, scraped/s", busy, quiet, "ms", "within noise")
    finally:
        d.stop()
        shutil.rmtree(work, ignore_errors=True)


def bench_report():
    n = 2000 if QUICK else 1000000
    ntasks = 1000
    d = Daemon("tasks:\n" + "".join(f"  t{i}: {{command: 'true'}}\n" for i in range(10)))
    d.twctl("shutdown")
    d.proc.wait(timeout=60)
    db = os.path.join(d.env["TW_STATE_DIR"], "twd.db")
    con = sqlite3.connect(db)
    now = int(time.time() * 1000)
    step = 29 * 86400000 // n  # all within --since 30d, whenever twctl asks
    con.executemany(
        "INSERT INTO runs (task, trigger, scheduled_at, started_at, finished_at, status, "
        "exit_code, duration_ms, cpu_user_ms, cpu_sys_ms, max_rss_kb) "
        "VALUES (?, 'schedule', ?, ?, ?, ?, ?, ?, 3, 1, 4000)",
        ((f"task-{i % ntasks}", now - (n - i) * step, now - (n - i) * step + 2,
          now - (n - i) * step + 40 + i % 50,
          "failed" if i % 53 == 0 else "ok", 1 if i % 53 == 0 else 0, 38 + i % 50)
         for i in range(n)))
    con.commit()
    con.close()
    d.start()
    since_ms = now - 30 * 86400000 - 1000
    # The floor: SQLite reading the same columns of the same rows, once.
    floor_sql = ("SELECT max(length(task)), max(trigger), max(status), max(scheduled_at), "
                 "max(started_at), max(duration_ms), max(cpu_user_ms + cpu_sys_ms), "
                 f"max(max_rss_kb) FROM runs WHERE started_at >= {since_ms}")
    ours, floor = [], []
    try:
        for _ in range(REPEAT):
            t0 = time.monotonic()
            r = d.twctl("--json", "report", "--since", "30d")
            if r.returncode != 0:
                raise RuntimeError(r.stderr.decode())
            ours.append(time.monotonic() - t0)
            t0 = time.monotonic()
            subprocess.run(["sqlite3", db, floor_sql], stdout=subprocess.DEVNULL, check=True)
            floor.append(time.monotonic() - t0)
        got = json.loads(r.stdout)["total"]["runs"]
        if got != n:
            raise RuntimeError(f"report counted {got} runs, not {n}")
        row(f"report 30d, {n} runs", stats(ours), stats(floor), "s", "< 1 s")
    finally:
        d.stop()


print(f"{'benchmark':<28} {'taskweaver':>12} {'floor':>12} {'unit':<8} {'ratio':>7}  (min..max)  target")
print("(ratio: TaskWeaver's median over the floor's, both measured now)")
BENCHES = {"dispatch": bench_dispatch, "lateness": bench_lateness, "load": bench_load,
           "cli": bench_cli,
           "history": bench_history, "idle": bench_idle, "dashboard": bench_dashboard,
           "metrics": bench_metrics, "report": bench_report,
           "executors": bench_executors}
ONLY = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else BENCHES
for name in ONLY:
    BENCHES[name]()
if JSON_OUT:
    os.makedirs(os.path.dirname(JSON_OUT), exist_ok=True)
    with open(JSON_OUT, "w") as f:
        json.dump(results, f, indent=2)
