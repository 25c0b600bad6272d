# twctl cron against an independent implementation, Debian's
# python3-croniter, on many generated expressions. croniter walks the wall
# clock and Python's zoneinfo turns its times into instants. In UTC they
# must agree on every fire; in New York too, except on the days the clock
# changes, where croniter knows no DST rule and TaskWeaver follows
# cronie's: those expressions are counted and reported, not failed.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
if ! "$py" -c 'import croniter' 2>/dev/null; then
	fail "python3-croniter is missing; run: make deps"
fi

"$py" - "$TWCTL" <<'PY'
import json, random, subprocess, sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
from croniter import croniter

twctl = sys.argv[1]
rng = random.Random(20261122)
N = 8

def field(lo, hi, names=None, steps=True):
    k = rng.randrange(7 if steps else 5)
    a = rng.randint(lo, hi)
    b = rng.randint(a, hi)
    if k == 0:
        return "*"
    if k == 1:
        return str(a) if not names or rng.random() < 0.5 else names[a - lo]
    if k == 2:
        return "%d-%d" % (a, b)
    if k == 3:
        return ",".join(str(v) for v in sorted(rng.sample(range(lo, hi + 1), 3)))
    if k == 4:
        return "%d-%d,%d" % (a, b, rng.randint(lo, hi))
    if k == 5:
        return "*/%d" % rng.randint(2, max(2, (hi - lo) // 2))
    return "%d-%d/%d" % (a, b, rng.randint(1, 5))

months = "jan feb mar apr may jun jul aug sep oct nov dec".split()
days = "sun mon tue wed thu fri sat".split()

def values(text, lo, hi, names):
    out = set()
    for part in text.split(","):
        rng_, _, step = part.partition("/")
        if rng_ == "*":
            a, b = lo, hi
        elif "-" in rng_:
            a, b = (int(v) for v in rng_.split("-"))
        else:
            a = b = names.index(rng_) + lo if rng_ in (names or []) else int(rng_)
        out.update(range(a, b + 1, int(step or 1)))
    return out

def expression():
    dom = field(1, 28, steps=False)
    dow = field(0, 6, days, steps=False)
    # croniter takes a day-of-week that lists every day for '*' (and so
    # needs both day fields); cron does not. Leave that case out.
    while dow != "*" and values(dow, 0, 6, days) == set(range(7)):
        dow = field(0, 6, days, steps=False)
    # croniter reads L and D#N only with the other day field a '*'.
    r = rng.random()
    if r < 0.05:
        dom, dow = "L", "*"
    elif r < 0.10:
        dom, dow = "*", "%d#%d" % (rng.randint(0, 6), rng.randint(1, 4))
    return " ".join([field(0, 59), field(0, 23), dom, field(1, 12, months), dow])

def ours(expr, zone, start):
    out = subprocess.run([twctl, "cron", "--json", "-n", str(N), "-z", zone,
                          "-f", start, expr], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("twctl cron %r failed: %s" % (expr, out.stderr))
    return [datetime.fromisoformat(f["at"]) for f in json.loads(out.stdout)]

def theirs(expr, zone, start):
    # croniter walks wall-clock times (naive datetimes); zoneinfo places
    # them, which is unambiguous on every day without a DST change.
    it = croniter(expr, datetime.fromisoformat(start))
    return [it.get_next(datetime).replace(tzinfo=ZoneInfo(zone))
            for _ in range(N)]

def transition_day(t, zone):
    # A fire on a day whose UTC offset changes is where the DST rules speak.
    tz = ZoneInfo(zone)
    d = t.astimezone(tz)
    start = datetime(d.year, d.month, d.day, tzinfo=tz)
    end = datetime(d.year, d.month, d.day, 23, 59, tzinfo=tz)
    return start.utcoffset() != end.utcoffset()

checked = dst_differences = 0
for i in range(300):
    expr = expression()
    a, b = ours(expr, "UTC", "2026-01-01T00:00"), theirs(expr, "UTC", "2026-01-01T00:00")
    if [t.timestamp() for t in a] != [t.timestamp() for t in b]:
        raise SystemExit("UTC differs for %r:\n  ours   %s\n  theirs %s" %
                         (expr, [t.isoformat() for t in a], [t.isoformat() for t in b]))
    checked += 1
    # The same in New York, starting just before spring forward.
    zone, start = "America/New_York", "2026-03-07T00:00"
    a, b = ours(expr, zone, start), theirs(expr, zone, start)
    for x, y in zip(a, b):
        if x.timestamp() == y.timestamp():
            continue
        if transition_day(x, zone) or transition_day(y, zone):
            dst_differences += 1
            break
        raise SystemExit("%s differs for %r off a DST day:\n  ours   %s\n  theirs %s" %
                         (zone, expr, [t.isoformat() for t in a], [t.isoformat() for t in b]))
    checked += 1
print("differential: %d comparisons with croniter agree; %d expressions "
      "differ on a DST day, where TaskWeaver follows cronie's rule"
      % (checked, dst_differences))
PY
