#!/bin/bash
# PID 1 of the cgroup-v2 VM after switch_root (the host's bash; busybox's sh would prefer its
# own `ip`/`ping` applets to the host's tools). run.sh copies this file into the job share.
# Runs the job in the checkout, writes its output and exit code to the share, powers off.
job=/run/cgroup2-vm/job
exec </dev/null >"$job/guest.log" 2>&1
: >"$job/booted"

# Nothing else brings the loopback up, and the runner and the tests listen on 127.0.0.1.
/usr/sbin/ip link set lo up || /sbin/ip link set lo up

checkout=$(cat "$job/checkout")
# A clean, predictable environment: CI=true so test runners print plain output on the console
# tty; SOCKET_WORKBOOK_VM=1 so tests that also run on the host know they are in software
# emulation; the checkout's Node 24 first on PATH (the host's system node is older); a compile
# cache of the VM's own: Vitest and Astro turn Node's on, and the host's, in /tmp, is seen here
# through 9p while host processes may be writing it (suspected in a V8 "Check failed" crash of
# a Node start in the VM while the host was running Vitest).
env -i \
  PATH="$checkout/node_modules/.bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  HOME=/root LANG=C.UTF-8 TERM=dumb CI=true SOCKET_WORKBOOK_VM=1 NODE_COMPILE_CACHE=/run/node-compile-cache \
  /bin/bash -c 'cd "$1" && exec /bin/bash "$2"' job "$checkout" "$job/command.sh" >"$job/output" 2>&1
code=$?
echo "$code" >"$job/exit-code.tmp" && mv "$job/exit-code.tmp" "$job/exit-code"
sync
# PID 1 reaps orphans while the job runs (bash waits for any child); now end the VM. An exiting
# PID 1 would panic, so power off explicitly (busybox-static is installed on the host).
/bin/busybox poweroff -f
