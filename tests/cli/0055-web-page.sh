# The page in a real browser (headless Chromium over the DevTools
# protocol): it loads with the token from its address, shows the tasks, a
# run started by its button appears and ends live with no reload, no
# script error is logged; a read-only token shows no write button. A
# screenshot is left in the build directory for a person to look at.
. "$(dirname "$0")/lib.sh"

if ! command -v chromium >/dev/null 2>&1; then
	echo "skip: no chromium (make deps installs it)"
	exit 0
fi
tasks <<YAML
tasks:
  hello: {command: "sleep 1; echo hello"}
  nightly: {command: "true", schedule: "0 3 * * *"}
YAML
start_twd
web_start
port=$WEB_PORT
url=$WEB_URL
viewer=$("$TWWEB" --new-token viewer --read-only)

python3 - "$url" "http://127.0.0.1:$port/#token=$viewer" "$T/chromium" \
	"$(dirname "$TWD")/web-page.png" "$(cd "$(dirname "$0")/../helpers" && pwd)" \
	<<'PY' || fail "the page: see above"
import sys
sys.path.insert(0, sys.argv[5])
from cdp import Browser

url, viewer_url, profile, shot = sys.argv[1:5]
with Browser(profile + "-1") as b:
    b.go(url)
    b.until("document.querySelectorAll('#tasks tbody tr').length == 2", "the tasks")
    names = b.js("[...document.querySelectorAll('#tasks td.name')].map(e => e.textContent)")
    assert names == ["hello", "nightly"], names
    # The token left the address bar.
    assert "token" not in b.js("location.href"), b.js("location.href")
    b.js("window.notReloaded = true")
    b.js("document.querySelector('tr[data-task=hello] button').click()")
    b.until("document.querySelector('tr[data-task=hello] td:nth-child(5)')"
            ".textContent.startsWith('running')", "the run to show as running")
    b.until("document.querySelector('tr[data-task=hello] td:nth-child(5)')"
            ".textContent.startsWith('ok')", "the run to end, live")
    assert b.js("window.notReloaded === true"), "the page was reloaded"
    assert b.js("document.querySelector('tr[data-task=hello] .spark').textContent") != ""
    # The task's runs, each with how it began.
    b.js("document.querySelector('tr[data-task=hello] td.name a').click()")
    b.until("document.querySelectorAll('#runs tbody tr').length == 1", "the task's runs")
    assert b.js("document.querySelector('#runs tbody td:nth-child(3)').textContent") == "manual"
    b.shot(shot)
    assert not b.errors, b.errors
with Browser(profile + "-2") as b:
    b.go(viewer_url)
    b.until("document.querySelectorAll('#tasks tbody tr').length == 2", "the tasks (read-only)")
    assert b.js("document.querySelectorAll('button.write').length") == 0, "write buttons shown"
    assert "read-only" in b.js("document.getElementById('who').textContent")
    assert not b.errors, b.errors
PY
[ -s "$(dirname "$TWD")/web-page.png" ] || fail "no screenshot"
