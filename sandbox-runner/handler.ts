/**
 * The runner as a library: `createRunnerHandler()` gives a Node request handler for /api/*
 * that can be mounted in any server (the production server, `astro dev`, tests).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
import { loadConfig, type RunnerConfig, type RunnerConfigInput } from './config.ts';
import { handleApi, type ApiContext } from './http/handler.ts';
import { SandboxHost } from './sandbox/sandbox-host.ts';
import { SessionManager } from './sessions/session-manager.ts';

export interface RunnerHandler {
  /** Serves /api/* requests; resolves false (and leaves the response alone) for other paths. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends every session and run. */
  close(): Promise<void>;
  readonly config: RunnerConfig;
  /** Why the sandbox is unavailable, when it is (the API then answers 503). */
  readonly unavailableReason?: string;
}

export interface RunnerHandlerOptions {
  config?: RunnerConfigInput;
  logger?: Logger;
}

/** Starts the sandbox backend and returns the API handler. A missing sandbox is not fatal. */
export async function createRunnerHandler(options: RunnerHandlerOptions = {}): Promise<RunnerHandler> {
  const config = loadConfig(options.config);
  const log = options.logger ?? pino({ level: config.logLevel, base: { service: 'sandbox-runner' } });
  let sessions: SessionManager | null = null;
  let unavailableReason: string | undefined;
  try {
    const host = await SandboxHost.start(config);
    sessions = new SessionManager(config, host, log);
  } catch (error) {
    unavailableReason = (error as Error).message;
    log.error({ err: error }, 'sandbox unavailable: the API will answer 503 to runs');
  }
  const ctx: ApiContext = { config, sessions, unavailableReason, sandboxName: 'bubblewrap', log };
  return {
    config,
    unavailableReason,
    handle: (req, res) => handleApi(ctx, req, res),
    close: async () => {
      await sessions?.close();
    },
  };
}
