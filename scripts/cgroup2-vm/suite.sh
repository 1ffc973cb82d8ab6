#!/usr/bin/env bash
# The job `npm run test:cgroup2` runs inside the cgroup-v2 VM (run.sh boots it), in the checkout:
#   1. the `cgroup2` Vitest project: each limit on v2 (tests/cgroup2/) and the runner's whole
#      integration and exploit suites (tests/runner/integration, tests/runner/exploits);
#   2. `npm start` as a reader's operator starts it (site + runner in one process, port 4321),
#      the site's pages fetched from it, and every cell of the workbook run through it by the
#      content check (CONTENT_CHECK_RUNNER_URL); then SIGTERM, which must drain and exit 0.
# Every step runs even when an earlier one failed; the exit code is non-zero when any failed.
set -uo pipefail
cd "$(dirname "$0")/../.."

failed=()
step() { echo; echo "===== cgroup2 suite: $* ====="; }

step "vitest --project cgroup2 (limits, integration, exploits)"
vitest run --project cgroup2 || failed+=("vitest --project cgroup2")

step "npm start, then every cell of the workbook through it"
port=4321
log=$(mktemp /tmp/npm-start.XXXXXX)
# setsid: the whole process group (npm, its shell, node) can be signalled at the end.
PORT=$port setsid npm start >"$log" 2>&1 &
start_pid=$!
ready=
for _ in $(seq 1 600); do
  if grep -q '^Socket Workbook: ' "$log"; then ready=1; break; fi
  kill -0 "$start_pid" 2>/dev/null || break
  sleep 0.5
done
cat "$log"
if [ -z "$ready" ]; then
  failed+=("npm start did not print its start-up line")
elif ! grep -q '^Socket Workbook: .*(runner ready: bubblewrap, cgroup v2)' "$log"; then
  failed+=("npm start's runner is not ready on cgroup v2")
else
  for page in /zh/ /en/ /zh/overview/ /en/methods/bind/; do
    status=$(python3 -c 'import sys, urllib.request
try: print(urllib.request.urlopen(sys.argv[1], timeout=60).status)
except Exception as error: print(getattr(error, "code", error))' "http://127.0.0.1:$port$page")
    echo "GET $page -> $status"
    [ "$status" = 200 ] || failed+=("GET $page answered $status")
  done
  CONTENT_CHECK_RUNNER_URL=http://127.0.0.1:$port vitest run --project content tests/content/cells.test.ts ||
    failed+=("content check (every cell) through npm start")
fi
# SIGTERM to node (npm passes it on as well): the runner drains and exits 0.
node_pid=$(pgrep -g "$start_pid" -f 'sandbox-runner/main.ts' | head -n 1)
if [ -n "$node_pid" ]; then
  kill -TERM "$node_pid"
  for _ in $(seq 1 240); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$node_pid" 2>/dev/null; then
    failed+=("npm start did not exit within 120 s of SIGTERM")
    kill -KILL -- "-$start_pid" 2>/dev/null
  fi
fi
wait "$start_pid"
start_status=$?
tail -n 3 "$log"
[ -z "$ready" ] || [ "$start_status" = 0 ] || failed+=("npm start exited with status $start_status after SIGTERM")

echo
if [ ${#failed[@]} -gt 0 ]; then
  printf 'cgroup2 suite FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "cgroup2 suite passed: limits, integration and exploit suites, npm start serving every cell"
