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

export interface RouterOptions {
  runners: RouterRunner[];
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
  const { runners } = options;
  if (!runners.length) throw new Error('the router needs at least one runner');
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
${kind === 'site' ? runners.map((runner) => `    location = /runners/${runner.name}/metrics {
      # One runner's metrics, for the monitoring network only.
      allow 127.0.0.0/8;
      allow 10.0.0.0/8;
      deny all;
${proxy}
      proxy_pass http://runner_${runner.name}/metrics;
    }
`).join('') : ''}    location / {
      if ($${group}_upstream = unknown) { ${jsonError(404, 'not-found', 'No runner holds this id: its session ended with a runner that left, or it never existed. Start a new session.')} }
${proxy}
      error_page 502 504 = @runner_gone;
      proxy_next_upstream error timeout http_503 non_idempotent;
      proxy_next_upstream_tries ${runners.length};
      proxy_pass http://$${group}_upstream;
    }
  }`;
  };
  const names = runners.map((runner) => runner.name);
  const byName = (kind: string) => names.map((name) => `    ${name} ${kind}_${name};`).join('\n');
  return `# Generated by scripts/cluster-config.ts for runners ${names.join(', ')}; do not edit.
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
  map $id_runner $runner_upstream {
${byName('runner')}
    "" runners_any;
    default unknown;
  }
  map $id_runner $preview_upstream {
${byName('preview')}
    "" previews_any;
    default unknown;
  }

${runners.map((runner) => upstream(`runner_${runner.name}`, [listen(runner.host, runner.port)])).join('\n')}
${runners.map((runner) => upstream(`preview_${runner.name}`, [listen(runner.host, runner.previewPort)])).join('\n')}
${upstream('runners_any', spreadServers('port'))}
${upstream('previews_any', spreadServers('previewPort'))}

${server(options.port, 'site')}
${server(options.previewPort, 'preview')}
}
`;
}
