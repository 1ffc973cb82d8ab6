#!/usr/bin/env bash
# Builds the container image (deploy/Containerfile) and checks it from outside, as the Kubernetes
# manifests run it: a manual check, not part of `npm test` (it takes minutes). As root on Debian 12.
#   bash scripts/container-check.sh
# 1. podman, buildah, mmdebstrap, uidmap from Debian when missing;
# 2. the base image docker.io/library/debian:12-slim made locally with mmdebstrap from the
#    configured Debian mirror when podman has none (no container registry is needed);
# 3. podman build; the image's size;
# 4. nginx -t on the router's generated config (deploy/k8s/router.yaml) inside the image;
# 5. the runner as deploy/k8s/runner.yaml states it (privileged, root, the runner-limits ConfigMap as
#    its environment, RUNNER_NAME runner-0, a tmpfs state directory), published on 127.0.0.1:
#    GET /api/health, a Python run printing 42, GET /zh/ and /en/, then `podman stop` (SIGTERM:
#    the runner drains and must exit 0).
# The whole check holds the shared lock $CPU_LOCK (others share this machine's cores): it may wait.
# Environment: IMAGE (socket-workbook:<package version>, the tag deploy/k8s/*.yaml name), PORT (4321, on 127.0.0.1), CPU_LOCK, KEEP=1 keeps the container.
set -euo pipefail
cd "$(dirname "$0")/.."
CPU_LOCK=${CPU_LOCK:-/tmp/socket-workbook-cpu.lock}
if [ -z "${CONTAINER_CHECK_LOCKED:-}" ]; then
  echo "container-check: waiting for $CPU_LOCK"
  CONTAINER_CHECK_LOCKED=1 exec flock "$CPU_LOCK" bash "$PWD/scripts/container-check.sh" "$@"
fi
export PATH="$PWD/node_modules/.bin:$PATH"
IMAGE=${IMAGE:-socket-workbook:$(node -p "require('./package.json').version")}
BASE=docker.io/library/debian:12-slim
PORT=${PORT:-4321}
NAME=socket-workbook-check
URL="http://127.0.0.1:$PORT"
BUILD_LOG=/tmp/socket-workbook-container-build.log
WORK=$(mktemp -d /tmp/socket-workbook-container.XXXXXX)
# A run's NDJSON events: its stdout joined (output may come in several events), and its exit event.
stdout_of() { node -e 'const e = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l)); process.stdout.write(e.filter((x) => x.type === "stdout").map((x) => x.data).join(""))' "$1"; }
exit_of() { node -e 'const e = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l)); const x = e.find((x) => x.type === "exit"); console.log(x ? x.reason + " " + x.code : "none")' "$1"; }
step() { printf '\n== %s\n' "$*"; }
fail() { echo "container-check: FAILED: $*" >&2; exit 1; }
cleanup() { [ "${KEEP:-0}" = 1 ] || podman rm -f "$NAME" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

[ "$(id -u)" = 0 ] || fail "run as root (the runner's container is privileged)"
step "tools"
missing=()
for tool in podman buildah mmdebstrap newuidmap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah mmdebstrap uidmap >/dev/null
fi
podman --version
echo "host: kernel $(uname -r), cgroup $( [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && echo v2 || echo v1), podman storage $(podman info --format '{{.Store.GraphDriverName}}'), cgroup manager $(podman info --format '{{.Host.CgroupManager}}')"

# This host's quirks, found when podman first ran here (docs/deploy.md): a hybrid cgroup layout
# (v1 controllers plus a v2 mount holding hugetlb), which Debian 12's crun refuses ("cgroups in
# hybrid mode not supported"): runc then; and no CAP_SYS_RESOURCE, so the container's rlimits may
# not exceed ours (podman's defaults, nofile 1048576, fail with "setrlimit: Operation not permitted").
podman=(podman)
if [ -n "${RUNTIME:-}" ]; then podman+=(--runtime "$RUNTIME")
elif grep -qs . /sys/fs/cgroup/unified/cgroup.controllers; then
  command -v runc >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc >/dev/null
  podman+=(--runtime runc)
fi
opts=()
nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
nproc=$(ulimit -Hu); pid_max=$(cat /proc/sys/kernel/pid_max)
if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then nproc=$pid_max; fi
opts+=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
echo "podman: ${podman[*]}, options: ${opts[*]}"

step "base image $BASE"
if ! "${podman[@]}" image exists "$BASE"; then
  # Debian's own bootstrapper from the mirror apt already uses: the same packages debian:12-slim is made of.
  start=$SECONDS
  mmdebstrap --quiet --variant=minbase bookworm - | "${podman[@]}" import --change 'CMD ["bash"]' - "$BASE"
  echo "made with mmdebstrap in $((SECONDS - start)) s"
fi
"${podman[@]}" image inspect "$BASE" --format 'size {{.Size}} bytes, created {{.Created}}'

# The host's trust store (with a TLS-inspecting proxy's CA, where there is one: Debian's
# update-ca-certificates puts /usr/local/share/ca-certificates in it), for the build's npm ci.
build_opts=()
ca=${BUILD_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$ca" ]; then build_opts+=(-v "$ca:/run/build-ca.pem:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.pem); fi
step "${podman[*]} build ${opts[*]} ${build_opts[*]} -f deploy/Containerfile -t $IMAGE ."
start=$SECONDS
"${podman[@]}" build "${opts[@]}" "${build_opts[@]}" -f deploy/Containerfile -t "$IMAGE" . >"$BUILD_LOG" 2>&1 || { tail -40 "$BUILD_LOG"; fail "podman build (log above)"; }
echo "built in $((SECONDS - start)) s; last lines of $BUILD_LOG:"
tail -3 "$BUILD_LOG"
"${podman[@]}" image inspect "$IMAGE" --format 'image size {{.Size}} bytes'
"${podman[@]}" run --rm "${opts[@]}" --entrypoint sh "$IMAGE" -c 'node --version; python3 --version; bwrap --version; nginx -v 2>&1; du -sh /opt/socket-workbook/node_modules /opt/socket-workbook/dist /usr/local/bin/node'

step "router: nginx -t on deploy/k8s/router.yaml's generated config, in the image"
node --input-type=module -e "
  const { parseAllDocuments } = await import('yaml');
  const fs = await import('node:fs');
  const map = parseAllDocuments(fs.readFileSync('deploy/k8s/router.yaml', 'utf8')).map((d) => d.toJS()).find((d) => d.kind === 'ConfigMap');
  fs.writeFileSync('$WORK/nginx.conf', map.data['nginx.conf']);
"
# The names the config resolves when nginx starts; in a cluster kube-dns answers them.
"${podman[@]}" run --rm "${opts[@]}" --add-host runner-ready.socket-workbook.svc.cluster.local:127.0.0.1 --add-host kube-dns.kube-system.svc.cluster.local:127.0.0.1 \
  -v "$WORK/nginx.conf:/etc/socket-workbook/nginx.conf:ro,Z" --entrypoint /usr/sbin/nginx "$IMAGE" -t -c /etc/socket-workbook/nginx.conf

step "runner: podman run as deploy/k8s/runner.yaml states it"
# The runner-limits ConfigMap as the environment, verbatim but for the preview origin (127.0.0.1).
node --input-type=module -e "
  const { parseAllDocuments } = await import('yaml');
  const fs = await import('node:fs');
  const map = parseAllDocuments(fs.readFileSync('deploy/k8s/limits.yaml', 'utf8')).map((d) => d.toJS()).find((d) => d.kind === 'ConfigMap');
  const env = { ...map.data, RUNNER_PREVIEW_ORIGIN: 'http://127.0.0.1:$((PORT + 1))' };
  fs.writeFileSync('$WORK/env', Object.entries(env).map(([k, v]) => k + '=' + v + '\n').join(''));
"
"${podman[@]}" rm -f "$NAME" >/dev/null 2>&1 || true
"${podman[@]}" run -d "${opts[@]}" --name "$NAME" --privileged --env-file "$WORK/env" -e RUNNER_NAME=runner-0 \
  --mount type=tmpfs,destination=/run/socket-workbook \
  -p "127.0.0.1:$PORT:4321" -p "127.0.0.1:$((PORT + 1)):4322" "$IMAGE" >/dev/null
[ "$("${podman[@]}" exec "$NAME" readlink /proc/1/ns/cgroup)" = "$(readlink /proc/self/ns/cgroup)" ] && cgroupns=host || cgroupns=private
echo "cgroup namespace: $cgroupns; the runner's /proc/1/cgroup:"
"${podman[@]}" exec "$NAME" cat /proc/1/cgroup | head -2
start=$SECONDS
until curl -sf "$URL/api/health" -o "$WORK/health.json"; do
  [ $((SECONDS - start)) -lt 60 ] || { "${podman[@]}" logs "$NAME" | tail -20; fail "no /api/health in 60 s"; }
  "${podman[@]}" container inspect "$NAME" --format '{{.State.Running}}' | grep -q true || { "${podman[@]}" logs "$NAME" | tail -20; fail "the container stopped"; }
  sleep 0.5
done
echo "health answered after $((SECONDS - start)) s:"
cat "$WORK/health.json"; echo
grep -q '"ok":true' "$WORK/health.json" || fail "health is not ok"

step "a Python run over the API"
run_start=$(date +%s%N)
curl -sN -X POST "$URL/api/run" -H 'content-type: application/json' -d '{"language":"python","code":"print(6*7)"}' | tee "$WORK/run.ndjson"
echo "($(( ($(date +%s%N) - run_start) / 1000000 )) ms, a fresh session)"
[ "$(stdout_of "$WORK/run.ndjson")" = 42 ] || fail "stdout is not 42"
[ "$(exit_of "$WORK/run.ndjson")" = "exit 0" ] || fail "the run did not exit 0"

step "the site"
for path in /zh/ /en/; do
  code=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$URL$path")
  echo "GET $path -> $code bytes"
  [ "${code%% *}" = 200 ] || fail "GET $path"
done

step "podman stop during a run (SIGTERM: the run finishes, the runner drains and exits 0)"
curl -sN -X POST "$URL/api/run" -H 'content-type: application/json' -d '{"language":"python","code":"import time\ntime.sleep(3)\nprint(\"finished\")"}' >"$WORK/drain.ndjson" &
curl_pid=$!
sleep 1
start=$(date +%s%N)
"${podman[@]}" stop -t 75 "$NAME" >/dev/null
wait "$curl_pid" || true
cat "$WORK/drain.ndjson"
[ "$(stdout_of "$WORK/drain.ndjson")" = finished ] && [ "$(exit_of "$WORK/drain.ndjson")" = "exit 0" ] || fail "the run going on at SIGTERM did not finish"
exit_code=$("${podman[@]}" inspect "$NAME" --format '{{.State.ExitCode}}')
echo "stopped in $(( ($(date +%s%N) - start) / 1000000 )) ms, exit code $exit_code; last log lines:"
"${podman[@]}" logs "$NAME" 2>&1 | tail -4
[ "$exit_code" = 0 ] || fail "exit code $exit_code after SIGTERM"

printf '\ncontainer-check: all checks passed\n'
