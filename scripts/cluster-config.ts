/**
 * The router's nginx configuration for N runners, as plain text from plain data (no I/O), so
 * `npm run start:cluster`, the Kubernetes ConfigMap and the tests share one generator.
 *
 * Routing: a session- or run-scoped path names its runner in the id (`s<rand>.<name>`,
 * `r<rand>.<name>`), read by a `map` on the URI, and goes to that runner's own upstream; every
 * other request (new sessions, session-less runs, health, the site) is spread over the ready
 * runners (`runners_any`, round robin, with passive health: max_fails + next upstream on 503).
 * The preview origin gets the same routing on its own listener. NDJSON streams unbuffered.
 */

export interface RouterRunner {
  name: string;
  /** Where the runner's site + API listener and preview listener are reachable from the router. */
  host: string;
  port: number;
  previewPort: number;
  /** Left out of the spread of new work (not ready: draining, starting, no sandbox). */
  down?: boolean;
}

/**
 * Kubernetes: runners are found by DNS at request time (`<name>.<domain>`, the StatefulSet's
 * headless Service), so scaling needs no new config; new work goes to a Service of ready pods.
 */
export interface DnsRouting {
  /** e.g. `runner.socket-workbook.svc.cluster.local`: runner `runner-2` is `runner-2.<domain>`. */
  domain: string;
  port: number;
  previewPort: number;
  /** The Service that holds only ready runners (readiness = /api/ready), e.g. `runner-ready.socket-workbook.svc.cluster.local`. */
  readyService: string;
  /** DNS server nginx asks at request time (kube-dns). */
  resolver: string;
}

export interface RouterOptions {
  /** Fixed runners (one machine), each with its own upstream. */
  runners?: RouterRunner[];
  /** Or runners found by DNS (Kubernetes). */
  dns?: DnsRouting;
  listenHost: string;
  port: number;
  previewPort: number;
  /** Directory for nginx's pid, logs and temp files (the `-p` prefix); null: nginx's defaults (a container). */
  prefix: string | null;
  /** Run in the foreground (`daemon off`), as a child process or a container's main process. */
  workerProcesses?: number | 'auto';
}

/** Names as the runner accepts them (config.ts), which also keeps them safe inside nginx syntax. */
const RUNNER_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** The largest run request body a runner accepts is about 2.2 MiB (code + stdin, JSON-escaped). */
const MAX_BODY = '4m';
/** Longer than the longest run may stay silent (a server cell: 300 s). */
const STREAM_TIMEOUT = '360s';

function listen(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function upstream(name: string, servers: string[], extra = ''): string {
  return `  upstream ${name} {\n${servers.map((server) => `    server ${server};`).join('\n')}\n${extra}    keepalive 32;\n  }`;
}

/** A JSON error body nginx itself sends (the runner's error shape), for a runner that is gone or unknown. */
function jsonError(status: number, code: string, message: string): string {
  return `return ${status} '${JSON.stringify({ error: { code, message } }).replace(/'/g, "\\'")}';`;
}

export function nginxConfig(options: RouterOptions): string {
  const { dns } = options;
  const runners = options.runners ?? [];
  if (!runners.length && !dns) throw new Error('the router needs at least one runner, or DNS routing');
  for (const runner of runners) if (!RUNNER_NAME.test(runner.name)) throw new Error(`bad runner name ${JSON.stringify(runner.name)}`);
  const prefix = options.prefix;
  const spread = (kind: 'port' | 'previewPort') => runners.map((runner) => `${listen(runner.host, runner[kind])} max_fails=2 fail_timeout=5s${runner.down ? ' down' : ''}`);
  // Every runner down: keep them all in (nginx then answers 502 quickly) rather than no server at all.
  const allDown = runners.every((runner) => runner.down);
  const spreadServers = (kind: 'port' | 'previewPort') => (allDown ? spread(kind).map((line) => line.replace(/ down$/, '')) : spread(kind));
  const proxy = `      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout ${STREAM_TIMEOUT};
      proxy_send_timeout ${STREAM_TIMEOUT};
      proxy_connect_timeout 3s;`;
  // One runner's metrics through the router (/runners/<name>/metrics), for the monitoring network only.
  const metricsLocation = (match: string, target: string) => `    location ${match} {
      allow 127.0.0.0/8;
      allow 10.0.0.0/8;
      deny all;
${proxy}
      proxy_pass ${target};
    }
`;
  const metricsLocations = () =>
    dns
      ? metricsLocation('~ ^/runners/(?<metrics_runner>[a-z0-9-]+)/metrics$', `http://$metrics_runner.${dns.domain}:${dns.port}/metrics`)
      : runners.map((runner) => metricsLocation(`= /runners/${runner.name}/metrics`, `http://runner_${runner.name}/metrics`)).join('');
  const server = (port: number, kind: 'site' | 'preview') => {
    const group = kind === 'site' ? 'runner' : 'preview';
    return `  server {
    listen ${listen(options.listenHost, port)};
    client_max_body_size ${MAX_BODY};
    # For the answers nginx writes itself (the runners' own answers carry their type).
    default_type application/json;

    location @runner_gone {
      add_header X-Router "nginx" always;
      ${jsonError(503, 'runner-unavailable', 'The runner for this request is not answering (it stopped or restarts). If it held your session, that session and its programs are gone: start a new one (reload the page).')}
    }
${kind === 'site' ? metricsLocations() : ''}    location / {
      if ($${group}_upstream = unknown) { ${jsonError(404, 'not-found', 'No runner holds this id: its session ended with a runner that left, or it never existed. Start a new session.')} }
${proxy}
      error_page 502 504 = @runner_gone;
      proxy_next_upstream error timeout http_503 non_idempotent;
      proxy_next_upstream_tries ${dns ? 3 : runners.length};
      proxy_pass http://$${group}_upstream;
    }
  }`;
  };
  const names = runners.map((runner) => runner.name);
  const byName = (kind: string) => names.map((name) => `    ${name} ${kind}_${name};`).join('\n');
  const fixedUpstreams = `${runners.map((runner) => upstream(`runner_${runner.name}`, [listen(runner.host, runner.port)])).join('\n')}
${runners.map((runner) => upstream(`preview_${runner.name}`, [listen(runner.host, runner.previewPort)])).join('\n')}
${upstream('runners_any', spreadServers('port'))}
${upstream('previews_any', spreadServers('previewPort'))}`;
  const dnsUpstreams = dns
    ? `  # Runners by name at request time; names are [a-z0-9-]+ (the map's regex), so only <name>.${dns.domain} can be reached.
  resolver ${dns.resolver} valid=5s ipv6=off;
  resolver_timeout 3s;
${upstream('runners_any', [`${dns.readyService}:${dns.port} max_fails=0`])}
${upstream('previews_any', [`${dns.readyService}:${dns.previewPort} max_fails=0`])}`
    : '';
  const routeMap = (kind: 'runner' | 'preview') =>
    dns
      ? `  map $id_runner $${kind}_upstream {
    "" ${kind === 'runner' ? 'runners_any' : 'previews_any'};
    default $id_runner.${dns.domain}:${kind === 'runner' ? dns.port : dns.previewPort};
  }`
      : `  map $id_runner $${kind}_upstream {
${byName(kind)}
    "" ${kind === 'runner' ? 'runners_any' : 'previews_any'};
    default unknown;
  }`;
  return `# Generated by scripts/cluster-config.ts for ${dns ? `runners <name>.${dns.domain}` : `runners ${names.join(', ')}`}; do not edit.
worker_processes ${options.workerProcesses ?? 1};
${prefix ? `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/error.log warn;` : 'error_log /dev/stderr warn;'}
daemon off;
worker_rlimit_nofile 16384;

events {
  worker_connections 8192;
}

http {
  access_log off;
  server_tokens off;
${prefix ? ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((temp) => `  ${temp}_temp_path ${prefix}/${temp}_temp;`).join('\n') : ''}

  # The runner named by the id in the path: /api/sessions/<s>.<name>... or /api/runs/<r>.<name>...
  map $uri $id_runner {
    ~^/api/sessions/[^/.]+\\.(?<session_runner>[a-z0-9-]+)(/|$) $session_runner;
    ~^/api/runs/[^/.]+\\.(?<run_runner>[a-z0-9-]+)(/|$) $run_runner;
    default "";
  }
${routeMap('runner')}
${routeMap('preview')}

${dns ? dnsUpstreams : fixedUpstreams}

${server(options.port, 'site')}
${server(options.previewPort, 'preview')}
}
`;
}

/** The router's config in Kubernetes (deploy/k8s/router.yaml holds it as a ConfigMap). */
export const KUBERNETES_ROUTER: RouterOptions = {
  dns: {
    domain: 'runner.socket-workbook.svc.cluster.local',
    port: 4321,
    previewPort: 4322,
    readyService: 'runner-ready.socket-workbook.svc.cluster.local',
    resolver: 'kube-dns.kube-system.svc.cluster.local',
  },
  listenHost: '0.0.0.0',
  port: 8080,
  previewPort: 8081,
  prefix: null,
  workerProcesses: 'auto',
};

// `node scripts/cluster-config.ts --kubernetes` prints the router's nginx.conf for the ConfigMap.
if (import.meta.main && process.argv.includes('--kubernetes')) process.stdout.write(nginxConfig(KUBERNETES_ROUTER));
