/**
 * Dev-only integration: `astro dev` serves the runner API (/api/*) from the same origin as the
 * pages, the way the production server does. The runner is imported lazily so the site still
 * builds and serves when the runner is absent or cannot start (pages then show the notice).
 *
 * WORKBOOK_DEV_RUNNER_CONFIG (JSON, e.g. {"stateDir": "/run/wb-dev", "cgroupName": "wb-dev"})
 * keeps a dev runner apart from another runner on the same machine (tests, production).
 */
import type { AstroIntegration } from 'astro';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface RunnerHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  listenPreview(options: { host: string; port: number }): Promise<{ port: number }>;
  close(): Promise<void>;
}

type Next = (error?: unknown) => void;

export function runnerDevIntegration(): AstroIntegration {
  let handler: Promise<RunnerHandler | null> | undefined;
  return {
    name: 'socket-workbook:runner-dev',
    hooks: {
      'astro:server:setup': ({ server, logger }) => {
        handler = (async () => {
          try {
            const modulePath = new URL('../../sandbox-runner/handler.ts', import.meta.url).href;
            const { createRunnerHandler } = (await import(/* @vite-ignore */ modulePath)) as {
              createRunnerHandler: (options?: { config?: object }) => Promise<RunnerHandler>;
            };
            const config = process.env.WORKBOOK_DEV_RUNNER_CONFIG ? JSON.parse(process.env.WORKBOOK_DEV_RUNNER_CONFIG) : undefined;
            const runner = await createRunnerHandler({ config });
            // Previews are served from an origin of their own: a free port beside the dev server.
            await runner.listenPreview({ host: '127.0.0.1', port: 0 });
            return runner;
          } catch (error) {
            logger.warn(`Runner API not available in dev (${(error as Error).message}); pages will show the no-runner notice.`);
            return null;
          }
        })();
        const middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => {
          if (!req.url?.startsWith('/api/')) return next();
          handler!
            .then((runner) => (runner ? runner.handle(req, res) : false))
            .then((handled) => (handled ? undefined : next()), next);
        };
        // Astro puts its own middleware (trailing-slash checks, which would answer 404 to
        // /api/health) at the front of the stack after this hook; go in front of it once the
        // server listens.
        const putFirst = () => server.middlewares.stack.unshift({ route: '', handle: middleware as never });
        if (server.httpServer?.listening) putFirst();
        else server.httpServer?.once('listening', putFirst);
      },
      'astro:server:done': async () => {
        await (await handler)?.close();
      },
    },
  };
}
