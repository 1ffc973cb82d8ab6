/**
 * Dev-only integration: `astro dev` serves the runner API (/api/*) from the same origin as the
 * pages, the way the production server does. The runner is imported lazily so the site still
 * builds and serves when the runner is absent or cannot start (pages then show the notice).
 */
import type { AstroIntegration } from 'astro';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface RunnerHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  close(): Promise<void>;
}

export function runnerDevIntegration(): AstroIntegration {
  let handler: RunnerHandler | undefined;
  return {
    name: 'socket-workbook:runner-dev',
    hooks: {
      'astro:server:setup': async ({ server, logger }) => {
        try {
          const modulePath = new URL('../../sandbox-runner/handler.ts', import.meta.url).href;
          const { createRunnerHandler } = (await import(/* @vite-ignore */ modulePath)) as {
            createRunnerHandler: (options?: object) => Promise<RunnerHandler>;
          };
          handler = await createRunnerHandler();
        } catch (error) {
          logger.warn(`Runner API not available in dev (${(error as Error).message}); pages will show the no-runner notice.`);
          return;
        }
        server.middlewares.use((req, res, next) => {
          if (!req.url?.startsWith('/api/')) return next();
          handler!.handle(req, res).then((handled) => (handled ? undefined : next()), next);
        });
      },
      'astro:server:done': async () => {
        await handler?.close();
      },
    },
  };
}
