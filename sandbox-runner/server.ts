/**
 * One Node process serving the built site (dist/) and the runner API, as `npm start` runs it.
 */
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { staticSite } from './static-site.ts';
import type { Logger } from 'pino';
import { createRunnerHandler, type PreviewListener, type RunnerHandler } from './handler.ts';
import { loadConfig, type RunnerConfigInput } from './config.ts';
import { isRefusedConnection, limitConnectionsPerClient, serverOptions } from './http/server-limits.ts';

export interface StartServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Directory of the built site; null serves the API only. */
  staticDir?: string | null;
  config?: RunnerConfigInput;
  logger?: Logger;
  /** Port of the preview origin (0 picks a free one); default: the site's port + 1, or 0 when that is 0. */
  previewPort?: number;
  /** Serve the site without any runner (as a static host would). */
  withoutRunner?: boolean;
}

export interface RunningServer {
  url: string;
  /** The preview listener's own address (null without a runner). */
  previewUrl: string | null;
  server: Server;
  runner: RunnerHandler | null;
  close(): Promise<void>;
  /**
   * Leaves gracefully: the listeners keep answering (readiness 503, new work 503) while live runs
   * finish for `graceMs` (default: the config's drainMs), then the runs left end, every resource
   * is removed, and the listeners close once their answers are out.
   */
  drain(graceMs?: number): Promise<void>;
}

/** Closes a listener once its open answers are out (a drained run's exit event included); idle keep-alive connections at once. */
async function closeWhenAnswered(server: Server, waitMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), waitMs);
  await closed;
  clearTimeout(force);
}

export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../dist', import.meta.url));

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const staticDir = options.staticDir === undefined ? DEFAULT_STATIC_DIR : options.staticDir;
  const runner = options.withoutRunner ? null : await createRunnerHandler({ config: options.config, logger: options.logger, listenHost: host });
  const config = runner?.config ?? loadConfig(options.config);
  const httpSettings = config.http;
  const serveStatic = staticDir && existsSync(staticDir) ? staticSite(staticDir) : null;
  const server = createServer(serverOptions(httpSettings), (req, res) => {
    if (isRefusedConnection(req.socket)) return void req.socket.destroy();
    const notFound = () => {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(staticDir ? 'Not found.\n' : 'This server only serves the runner API under /api.\n');
    };
    (runner ? runner.handle(req, res) : Promise.resolve(false))
      .then((handled) => {
        if (handled) return;
        if (serveStatic) serveStatic(req, res, notFound);
        else notFound();
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  limitConnectionsPerClient(server, httpSettings, config.runnerName);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4321, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 4321);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let preview: PreviewListener | undefined;
  try {
    preview = await runner?.listenPreview({ host, port: options.previewPort ?? (port === 0 || options.port === 0 ? 0 : port + 1) });
  } catch (error) {
    server.close();
    await runner?.close();
    throw error;
  }
  return {
    url,
    previewUrl: preview ? `http://${host.includes(':') ? `[${host}]` : host}:${preview.port}` : null,
    server,
    runner,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runner?.close();
    },
    drain: async (graceMs) => {
      await runner?.drain(graceMs ?? runner.config.drainMs);
      await closeWhenAnswered(server, 2_000);
    },
  };
}
