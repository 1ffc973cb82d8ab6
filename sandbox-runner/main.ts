/**
 * `npm start` / `npm run serve`: the site and the runner in one process.
 * Environment: HOST (127.0.0.1), PORT (4321), PREVIEW_PORT (the preview origin; PORT + 1),
 * RUNNER_* limits and HTTP settings (see config.ts), RUNNER_NAME, LOG_LEVEL.
 * SIGTERM drains (new work refused, live runs get RUNNER_DRAIN_MS to finish, then exit 0);
 * SIGINT, or a second signal, ends everything at once.
 */
import './threadpool.ts';
import { startServer } from './server.ts';
import { ConfigError } from './config.ts';

try {
  const port = process.env.PORT ? Number(process.env.PORT) : 4321;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number (0-65535), not "${process.env.PORT}".`);
  const previewPort = process.env.PREVIEW_PORT ? Number(process.env.PREVIEW_PORT) : undefined;
  if (previewPort !== undefined && (!Number.isInteger(previewPort) || previewPort < 0 || previewPort > 65535 || (previewPort === port && port !== 0))) {
    throw new ConfigError(`PREVIEW_PORT must be a port number (0-65535) other than PORT, not "${process.env.PREVIEW_PORT}".`);
  }
  const running = await startServer({ host: process.env.HOST || '127.0.0.1', port, previewPort });
  const sandbox = running.runner?.sandbox;
  console.log(`Socket Workbook: ${running.url}  previews on ${running.previewUrl}  (runner ${running.runner?.unavailableReason ? 'UNAVAILABLE: ' + running.runner.unavailableReason : `ready: ${sandbox?.name}, cgroup ${sandbox?.cgroup}`})`);
  let leaving: 'draining' | 'closing' | null = null;
  const exitAfter = (done: Promise<void>) =>
    done.then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  const closeNow = () => {
    if (leaving === 'closing') return;
    leaving = 'closing';
    exitAfter(running.close());
  };
  process.on('SIGINT', closeNow);
  process.on('SIGTERM', () => {
    if (leaving) return closeNow();
    leaving = 'draining';
    console.log(`Socket Workbook: SIGTERM: draining (runs may finish for ${running.runner?.config.drainMs ?? 0} ms; a second signal ends them now)`);
    exitAfter(running.drain());
  });
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
