#!/usr/bin/env bash
# Sets up everything Socket Workbook needs on a Debian machine (as root), idempotently: only
# what is missing or out of date is installed or built. Used by `npm start`, `npm test` and CI.
#   system packages (bubblewrap for the sandbox, iproute2/util-linux for its network, Chromium
#   for the browser tests), npm packages (with Node.js 24 from the `node` package), the site.
set -euo pipefail
cd "$(dirname "$0")/.."

need_packages=()
command -v bwrap >/dev/null 2>&1 || need_packages+=(bubblewrap)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || need_packages+=(iproute2)
command -v nsenter >/dev/null 2>&1 || need_packages+=(util-linux)
[ -x /usr/bin/python3 ] || need_packages+=(python3)
[ -x /usr/bin/chromium ] || need_packages+=(chromium)
# The router of `npm run start:cluster` and its tests (Debian's nginx).
[ -x /usr/sbin/nginx ] || need_packages+=(nginx)
# /etc/services and /etc/protocols, bound into the sandbox for getservbyname() and friends.
[ -f /etc/services ] || need_packages+=(netbase)
if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing system packages: ${need_packages[*]}; run as root or install them with apt-get." >&2
    exit 1
  fi
  echo "setup: installing ${need_packages[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

# npm packages: when node_modules is missing or older than the lock file.
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

# The site: rebuild when any of its sources is newer than the last build.
if [ ! -f dist/index.html ] || [ -n "$(find content src astro.config.mjs package-lock.json -newer dist/index.html -print -quit 2>/dev/null)" ]; then
  echo "setup: building the site"
  npx --no-install astro build >/tmp/socket-workbook-build.log 2>&1 || { cat /tmp/socket-workbook-build.log >&2; exit 1; }
fi
