/**
 * The runner as a library: `createRunnerHandler()` gives a Node request handler for /api/*
 * that can be mounted in any server (the production server, `astro dev`, tests).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
import { loadConfig, type RunnerConfig, type RunnerConfigInput } from './config.ts';
import { handleApi, type ApiContext } from './http/handler.ts';
import { BubblewrapBackend, type InstanceLayout } from './sandbox/bubblewrap-backend.ts';
import type { BackendDescription, SandboxBackend } from './sandbox/backend.ts';
import { SessionManager } from './sessions/session-manager.ts';

export interface RunnerHandler {
  /** Serves /api/* requests; resolves false (and leaves the response alone) for other paths. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends every session and run. */
  close(): Promise<void>;
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
}

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
  const ctx: ApiContext = { config, sessions, unavailableReason, log };
  return {
    config,
    unavailableReason,
    layout,
    sandbox,
    handle: (req, res) => handleApi(ctx, req, res),
    close: async () => {
      await sessions?.close();
    },
  };
}
