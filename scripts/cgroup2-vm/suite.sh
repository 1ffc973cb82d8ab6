#!/usr/bin/env bash
# The job `npm run test:cgroup2` runs inside the cgroup-v2 VM (run.sh boots it), in the checkout:
#   1. the `cgroup2` Vitest project: each limit on v2 (tests/cgroup2/) and the runner's whole
#      integration and exploit suites (tests/runner/integration, tests/runner/exploits);
#   2. `npm start` as an operator starts it (site + runner in one process, port 4321), inside a
#      delegated non-root cgroup as a container gives it; the site's pages fetched from it, and
#      every cell of the workbook run through it by the content check (CONTENT_CHECK_RUNNER_URL);
#      then SIGTERM to npm, which must reach the runner: it drains, and npm exits 0.
# Every step runs even when an earlier one failed; the exit code is non-zero when any failed.
set -uo pipefail
cd "$(dirname "$0")/../.."

failed=()
step() { echo; echo "===== cgroup2 suite: $* ====="; }

step "vitest --project cgroup2 (limits, integration, exploits)"
vitest run --project cgroup2 || failed+=("vitest --project cgroup2")

step "npm start in a delegated cgroup, then every cell of the workbook through it"
# As a container with a delegated cgroup (or `systemd-run --scope -p Delegate=yes`) gives it:
# npm start runs in a non-root cgroup that holds another process too, so the runner must move
# every process of it into a leaf before it enables controllers for its sessions (a cgroup with
# controllers enabled for children may hold no process).
delegated=/sys/fs/cgroup/operator.scope
mkdir -p "$delegated"
echo '+memory +pids +cpu' >/sys/fs/cgroup/cgroup.subtree_control
sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 100000' companion "$delegated" &
companion_pid=$!
port=4321
log=$(mktemp /tmp/npm-start.XXXXXX)
# setsid: the whole process group (npm, its shell, node) can be signalled at the end.
PORT=$port setsid sh -c 'echo $$ >"$1/cgroup.procs" && exec npm start' npm-start "$delegated" >"$log" 2>&1 &
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
  # Node names its main thread MainThread, so the process is found by its command line.
  runner_pid=$(pgrep -g "$start_pid" -f '^node .*sandbox-runner/main\.ts$' | head -n 1)
  in_leaf=$(cat "$delegated/runner/cgroup.procs" 2>/dev/null | tr '\n' ' ')
  echo "delegated cgroup: $(cat "$delegated/cgroup.procs" | wc -l) processes left in it; its leaf 'runner' holds: $in_leaf; enabled for children: $(cat "$delegated/cgroup.subtree_control")"
  [ -z "$(cat "$delegated/cgroup.procs")" ] || failed+=("processes were left in the delegated cgroup itself")
  grep -qx "$runner_pid" "$delegated/runner/cgroup.procs" || failed+=("the runner (pid $runner_pid) is not in the leaf $delegated/runner")
  grep -qx "$companion_pid" "$delegated/runner/cgroup.procs" || failed+=("the delegated cgroup's other process was not moved into the leaf")
  grep -qw memory "$delegated/cgroup.subtree_control" || failed+=("memory is not enabled for the sessions' cgroups")
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
# SIGTERM to npm, as a process manager stops `npm start`: it must reach the runner (npm passes it
# to the script's shell, which has exec'd node), which drains and exits 0, and so does npm.
if [ -n "$ready" ]; then
  kill -TERM "$start_pid"
  for _ in $(seq 1 240); do kill -0 "$start_pid" 2>/dev/null || pgrep -g "$start_pid" >/dev/null || break; sleep 0.5; done
fi
if kill -0 "$start_pid" 2>/dev/null || pgrep -g "$start_pid" >/dev/null; then
  failed+=("npm start (or a process of it) was still running 120 s after SIGTERM")
  kill -KILL -- "-$start_pid" 2>/dev/null
fi
wait "$start_pid"
start_status=$?
kill "$companion_pid" 2>/dev/null
tail -n 3 "$log"
[ -z "$ready" ] || [ "$start_status" = 0 ] || failed+=("npm start exited with status $start_status after SIGTERM")

echo
if [ ${#failed[@]} -gt 0 ]; then
  printf 'cgroup2 suite FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "cgroup2 suite passed: limits, integration and exploit suites, npm start serving every cell"
