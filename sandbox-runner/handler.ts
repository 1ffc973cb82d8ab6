/**
 * The runner as a library: `createRunnerHandler()` gives a Node request handler for /api/*
 * that can be mounted in any server (the production server, `astro dev`, tests), and the
 * preview listener: previews are served from an origin of their own (`listenPreview`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
import { loadConfig, type RunnerConfig, type RunnerConfigInput } from './config.ts';
import { handleApi, handlePreview, maxBodyBytes, type ApiContext } from './http/handler.ts';
import { ClientQuotas } from './http/client-quotas.ts';
import { PreviewRelay } from './http/preview.ts';
import { hostNameOf } from './http/request-guard.ts';
import { isRefusedConnection, limitConnectionsPerClient, serverOptions } from './http/server-limits.ts';
import { BubblewrapBackend, type InstanceLayout } from './sandbox/bubblewrap-backend.ts';
import type { BackendDescription, SandboxBackend } from './sandbox/backend.ts';
import { SessionManager } from './sessions/session-manager.ts';
import { RunnerMetrics } from './metrics.ts';

export interface PreviewListener {
  /** The port it listens on. */
  port: number;
  close(): Promise<void>;
}

export interface RunnerHandler {
  /** Serves /api/* requests; resolves false (and leaves the response alone) for other paths. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /**
   * Starts the preview origin: a listener of this process that serves only previews; the
   * site's preview paths then redirect there (unless RUNNER_PREVIEW_ORIGIN names another).
   */
  listenPreview(options: { host: string; port: number }): Promise<PreviewListener>;
  /** Ends every session and run, and the preview listener. */
  close(): Promise<void>;
  /**
   * Leaves gracefully (SIGTERM): at once readiness fails and new sessions and runs are refused
   * (503 `draining`); runs already going get `graceMs` to finish, then end with reason
   * `session-ended`; then everything is closed as by `close()`.
   */
  drain(graceMs: number): Promise<void>;
  /** True once `drain` was called. */
  readonly draining: boolean;
  readonly config: RunnerConfig;
  /** Why the sandbox is unavailable, when it is (the API then answers 503). */
  readonly unavailableReason?: string;
  /** Where this instance keeps its sessions (for operators and leak checks). */
  readonly layout?: InstanceLayout;
  /** The sandbox in use and its cgroup version, when there is one. */
  readonly sandbox?: BackendDescription;
}

export interface RunnerHandlerOptions {
  config?: RunnerConfigInput;
  logger?: Logger;
  /** Another sandbox backend than bubblewrap (the fake, in lifecycle tests). */
  backend?: (config: RunnerConfig) => Promise<SandboxBackend>;
  /** The host name or address the site listens on (requests naming it are allowed). */
  listenHost?: string;
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::', '']);

/** Starts the sandbox backend and returns the API handler. A missing sandbox is not fatal. */
export async function createRunnerHandler(options: RunnerHandlerOptions = {}): Promise<RunnerHandler> {
  const config = loadConfig(options.config);
  const log = options.logger ?? pino({ level: config.logLevel, base: { service: 'sandbox-runner' } });
  let sessions: SessionManager | null = null;
  let unavailableReason: string | undefined;
  let layout: InstanceLayout | undefined;
  let sandbox: BackendDescription | undefined;
  try {
    const backend = options.backend ? await options.backend(config) : await BubblewrapBackend.start(config);
    if (backend instanceof BubblewrapBackend) layout = backend.layout;
    sandbox = backend.description;
    sessions = new SessionManager(config, backend, log);
  } catch (error) {
    unavailableReason = (error as Error).message;
    log.error({ err: error }, 'sandbox unavailable: the API will answer 503 to runs');
  }
  const listenHost = options.listenHost && !ANY_ADDRESS.has(options.listenHost) ? options.listenHost : undefined;
  const allowedHosts = [...config.http.allowedHosts, ...(listenHost ? [listenHost] : []), ...(config.http.previewOrigin ? [new URL(config.http.previewOrigin).hostname] : [])];
  let previewPort: number | undefined;
  const previewOriginFor = (req: IncomingMessage): string | null => {
    if (config.http.previewOrigin) return config.http.previewOrigin;
    if (previewPort === undefined) return null;
    // The same host name the reader used (already checked against the allowed hosts).
    const name = req.headers.host ? hostNameOf(req.headers.host) : listenHost ?? '127.0.0.1';
    return `http://${name.includes(':') ? `[${name}]` : name}:${previewPort}`;
  };
  const lifecycle = { draining: false };
  const metrics = new RunnerMetrics({
    runnerName: config.runnerName,
    sessions: () => sessions?.sessionCount ?? 0,
    runs: () => sessions?.runCount ?? 0,
    draining: () => lifecycle.draining,
    usage: async () => (await sessions?.usage()) ?? null,
  });
  const ctx: ApiContext = {
    lifecycle,
    metrics,
    config,
    sessions,
    unavailableReason,
    log,
    quotas: new ClientQuotas(config.http),
    previews: new PreviewRelay(config.http, maxBodyBytes(config)),
    allowedHosts,
    previewOriginFor,
  };
  let previewListener: PreviewListener | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Sessions first: their runs' streams get their exit events while the listeners still serve.
      await sessions?.close();
      await previewListener?.close();
    })());
  return {
    config,
    unavailableReason,
    layout,
    sandbox,
    handle: (req, res) => handleApi(ctx, req, res),
    listenPreview: async ({ host, port }) => {
      const server = createServer(serverOptions(config.http), (req, res) => {
        if (isRefusedConnection(req.socket)) return void req.socket.destroy();
        void handlePreview(ctx, req, res);
      });
      limitConnectionsPerClient(server, config.http, config.runnerName);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address();
      previewPort = typeof address === 'object' && address ? address.port : port;
      previewListener = {
        port: previewPort,
        close: async () => {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        },
      };
      return previewListener;
    },
    close,
    get draining() {
      return lifecycle.draining;
    },
    drain: async (graceMs) => {
      lifecycle.draining = true;
      log.info({ runner: config.runnerName, graceMs, runs: sessions?.runCount ?? 0, sessions: sessions?.sessionCount ?? 0 }, 'draining: no new work; live runs may finish');
      const finished = (await sessions?.whenNoRuns(graceMs)) ?? true;
      log.info({ runner: config.runnerName, runsLeft: sessions?.runCount ?? 0, finished }, finished ? 'drained: every run finished' : 'drain grace over: ending the runs left');
      await close();
    },
  };
}
