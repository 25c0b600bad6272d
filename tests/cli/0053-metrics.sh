# Metrics: twctl metrics and GET /metrics give the same text, which
# promtool passes once the daemon has seen every status; the counts are
# right, submitted jobs without a name are one series; a real Prometheus
# scrapes the endpoint and answers a query with the count; the textfile
# is written whole after a run ends; any other path is 404; a reload
# moves the listener.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
tasks <<YAML
metrics: {listen: $port, textfile: $T/metrics/tw.prom, interval: 1s}
queues: {q: {max_concurrent: 1}}
tasks:
  good: {command: "true"}
  bad: {command: "exit 3", queue: q}
  slow: {command: "sleep 30", timeout: 1s}
  gone: {run: [/nonexistent/program]}
  held: {command: "sleep 30", overlap: skip}
  idle: {command: "true", schedule: "0 3 * * *"}
YAML
mkdir -p "$T/metrics"
# Reloads only when asked: their count is the test's.
start_twd --no-watch

twctl run -w good >/dev/null
twctl run -w good >/dev/null
expect_rc 3 twctl run -w bad
expect_rc 143 twctl run -w slow        # timeout: SIGTERM
expect_rc 1 twctl run -w gone          # start_failed
twctl run held >/dev/null
twctl run held >/dev/null 2>&1 || true # skipped: it is running
twctl kill held >/dev/null             # killed
held_ended() { [ "$(twctl --json history held | jget '[r["status"] for r in d]')" = '["skipped", "killed"]' ]; }
wait_until "held to be killed" held_ended
for i in 1 2 3; do twctl submit -w -- true >/dev/null; done
twctl submit -w -n nightly.export -- true >/dev/null

twctl metrics >"$T/cli.txt"
curl -fsS "http://127.0.0.1:$port/metrics" >"$T/http.txt" ||
	fail "GET /metrics failed"
# The same text but for what changed between them (none here).
cmp -s "$T/cli.txt" "$T/http.txt" || fail "twctl metrics and /metrics differ:
$(diff "$T/cli.txt" "$T/http.txt" | head)"
promtool check metrics <"$T/http.txt" >"$T/promtool.out" 2>&1 ||
	fail "promtool: $(cat "$T/promtool.out")"
m() { grep -F "$1" "$T/http.txt" >/dev/null || fail "no '$1' in: $(grep -F "${1%%\{*}" "$T/http.txt" | head -20)"; }
m 'taskweaver_runs_total{task="good",status="ok"} 2'
m 'taskweaver_runs_total{task="bad",status="failed"} 1'
m 'taskweaver_runs_total{task="slow",status="timeout"} 1'
m 'taskweaver_runs_total{task="gone",status="start_failed"} 1'
m 'taskweaver_runs_total{task="held",status="skipped"} 1'
m 'taskweaver_runs_total{task="held",status="killed"} 1'
m 'taskweaver_runs_total{task="(submitted)",status="ok"} 3'
m 'taskweaver_runs_total{task="nightly.export",status="ok"} 1'
m 'taskweaver_last_status{task="bad",status="failed"} 1'
m 'taskweaver_last_status{task="bad",status="ok"} 0'
m 'taskweaver_run_duration_seconds_count{task="good"} 2'
m 'taskweaver_run_duration_seconds_bucket{task="good",le="+Inf"} 2'
m 'taskweaver_queued_runs{queue="q"} 0'
m 'taskweaver_running_runs{executor="local"} 0'
m 'taskweaver_paused{task="idle"} 0'
m 'taskweaver_next_fire_timestamp_seconds{task="idle"}'
m 'taskweaver_config_reloads_total{result="ok"} 0'
m 'taskweaver_build_info{version="'
[ "$(grep -c '^taskweaver_runs_total{task="(submitted)"' "$T/http.txt")" = 8 ] ||
	fail "submitted jobs are not one series per status"
case $(cat "$T/http.txt") in *'task="true"'*) fail "a job without a name has series of its own" ;; esac
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = 404 ] ||
	fail "/ is not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics/x")" = 404 ] ||
	fail "/metrics/x is not 404"

# The textfile: written whole, after the runs ended.
textfile_has_submits() { grep -q 'task="nightly.export",status="ok"} 1' "$T/metrics/tw.prom"; }
wait_until "the textfile" textfile_has_submits
promtool check metrics <"$T/metrics/tw.prom" >/dev/null 2>&1 || fail "textfile fails promtool"
ls "$T/metrics" | grep -v '^tw.prom$' && fail "a temporary file was left"

# A real Prometheus scrapes it.
if command -v prometheus >/dev/null 2>&1; then
	pport=$(free_port)
	cat >"$T/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: taskweaver
    static_configs: [{targets: ["127.0.0.1:$port"]}]
YAML
	prometheus --config.file="$T/prometheus.yml" \
		--storage.tsdb.path="$T/prometheus" \
		--web.listen-address="127.0.0.1:$pport" >"$T/prometheus.log" 2>&1 &
	ppid=$!
	at_cleanup "kill $ppid 2>/dev/null || true; wait $ppid 2>/dev/null || true"
	q="taskweaver_runs_total%7Btask%3D%22good%22%2Cstatus%3D%22ok%22%7D"
	scraped() {
		curl -fsS "http://127.0.0.1:$pport/api/v1/query?query=$q" 2>/dev/null |
			jget 'd["data"]["result"][0]["value"][1]' 2>/dev/null | grep -qx 2
	}
	# (Prometheus itself takes seconds to start on a busy machine.)
	WAIT_TENTHS=900 wait_until "Prometheus to scrape twd" scraped
	up=$(curl -fsS "http://127.0.0.1:$pport/api/v1/query?query=up" |
		jget 'd["data"]["result"][0]["value"][1]')
	[ "$up" = 1 ] || fail "Prometheus sees the target down: $up"
else
	echo "skip: no prometheus to scrape twd"
fi

# A reload moves the endpoint; the old port is closed.
port2=$(free_port)
sed -i "s/listen: $port,/listen: 127.0.0.1:$port2,/" "$TW_CONFIG"
twctl reload >/dev/null
curl -fsS "http://127.0.0.1:$port2/metrics" >"$T/moved.txt" ||
	fail "not served at the new port"
expect_contains "$(cat "$T/moved.txt")" 'taskweaver_config_reloads_total{result="ok"} 1'
curl -fsS "http://127.0.0.1:$port/metrics" >/dev/null 2>&1 &&
	fail "still served at the old port"
expect_contains "$(twctl --json metrics | jget 'd["listen"]')" "127.0.0.1:$port2"

# A port taken: said, and the schedule goes on.
sed -i "s/listen: 127.0.0.1:$port2,/listen: 127.0.0.1:$pport,/" "$TW_CONFIG"
twctl reload >/dev/null
expect_contains "$(twctl --json metrics | jget 'd["listen_error"]')" "cannot listen on 127.0.0.1:$pport"
twctl run -w good >/dev/null

# A run lost with a twd killed: the next twd says so from the history.
twctl run held >/dev/null
held_runs() { [ "$(twctl --json history -n 1 held | jget 'd[0]["status"]')" = running ]; }
wait_until "held to run" held_runs
kill -KILL "$TWD_PID"
wait "$TWD_PID" 2>/dev/null || true
start_twd --no-watch
twctl metrics >"$T/after.txt"
expect_contains "$(cat "$T/after.txt")" 'taskweaver_last_status{task="held",status="lost"} 1'
promtool check metrics <"$T/after.txt" >/dev/null 2>&1 || fail "after a restart: promtool"
