/**
 * `npm run start:cluster`: the multi-runner topology on one machine, as a demo and for tests:
 * Debian's nginx in front (installed with apt when missing) and RUNNERS runner processes
 * (r0..rN-1), each with its own ports, state directory and cgroup, the site + API at one
 * address (HOST:PORT) and previews at HOST:PORT+1, all through nginx.
 *
 * The router sends session- and run-scoped requests to the runner named in the id and spreads
 * new work over the ready runners: this script polls each runner's /api/ready and regenerates
 * the config (`down` for the not ready) and reloads nginx when that changes; nginx's passive
 * health (max_fails, next upstream on a 503) covers the moments between. A runner that dies is
 * started again (same name: it sweeps what the dead one left) unless CLUSTER_RESTART=0; one
 * that drained and exited 0 left on purpose and stays gone.
 *
 * Environment: RUNNERS (3), HOST (127.0.0.1), PORT (8080; previews on PORT+1), RUNNER_BASE_PORT
 * (PORT+100: runner i listens on base+2i, previews base+2i+1), CLUSTER_DIR
 * (/run/socket-workbook-cluster: nginx's prefix and the runners' state), CLUSTER_CGROUP_PREFIX
 * (socket-workbook), CLUSTER_RESTART (1); RUNNER_* settings pass to every runner.
 * SIGTERM/SIGINT: the runners drain (SIGTERM each), then nginx stops.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { nginxConfig, type RouterRunner } from './cluster-config.ts';
import { startRunnerProcess, type RunnerProcess } from './cluster-processes.ts';

const NGINX = '/usr/sbin/nginx';

function setting(name: string, fallback: number): number {
  const value = process.env[name] ? Number(process.env[name]) : fallback;
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a whole number (a count or a port), not "${process.env[name]}".`);
  return value;
}

function ensureNginx(): void {
  if (existsSync(NGINX)) return;
  console.log('cluster: installing nginx with apt-get (Debian package)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'nginx']]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed; install nginx (apt-get install nginx) and start again.`);
  }
}

export interface Cluster {
  url: string;
  previewUrl: string;
  runners: Map<string, RunnerProcess>;
  /** The runner definitions as the router sees them. */
  routes: RouterRunner[];
  nginx: ChildProcess;
  configFile: string;
  /** Starts runner `name` again (after it died or left): it sweeps what its predecessor left. */
  relaunch(name: string): Promise<RunnerProcess>;
  /** Drains every runner (SIGTERM), then stops nginx. */
  stop(): Promise<void>;
}

export async function startCluster(): Promise<Cluster> {
  const count = setting('RUNNERS', 3);
  if (count < 1) throw new Error('RUNNERS must be at least 1.');
  const host = process.env.HOST || '127.0.0.1';
  const port = setting('PORT', 8080);
  const previewPort = port + 1;
  const basePort = setting('RUNNER_BASE_PORT', port + 100);
  const dir = process.env.CLUSTER_DIR || '/run/socket-workbook-cluster';
  const cgroupPrefix = process.env.CLUSTER_CGROUP_PREFIX || 'socket-workbook';
  const restart = process.env.CLUSTER_RESTART !== '0';
  ensureNginx();
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  // Readers reach the runners only through the router; what they see is the router's address.
  const readerHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const previewOrigin = `http://${readerHost.includes(':') ? `[${readerHost}]` : readerHost}:${previewPort}`;
  const routes: RouterRunner[] = Array.from({ length: count }, (_, index) => ({ name: `r${index}`, host: '127.0.0.1', port: basePort + 2 * index, previewPort: basePort + 2 * index + 1, down: true }));
  const runners = new Map<string, RunnerProcess>();
  let stopping = false;

  const envFor = (route: RouterRunner) => ({
    RUNNER_NAME: route.name,
    HOST: route.host,
    PORT: String(route.port),
    PREVIEW_PORT: String(route.previewPort),
    RUNNER_STATE_DIR: `${dir}/${route.name}`,
    RUNNER_CGROUP_NAME: `${cgroupPrefix}-${route.name}`,
    RUNNER_TRUST_PROXY: '1',
    RUNNER_PREVIEW_ORIGIN: previewOrigin,
  });
  const launch = async (route: RouterRunner): Promise<void> => {
    // The runner's log lines, each marked with its name (LOG_LEVEL applies to every runner).
    const runner = await startRunnerProcess(envFor(route), 60_000, (text) => process.stdout.write(text.replace(/^(?=.)/gm, `[${route.name}] `)));
    runners.set(route.name, runner);
    void runner.exited.then((code) => {
      if (runners.get(route.name) !== runner) return;
      route.down = true;
      void refresh();
      if (stopping) return;
      console.log(`cluster: runner ${route.name} exited (${code})${code === 0 ? ': it drained and left' : restart ? '; starting it again' : ''}`);
      if (code !== 0 && restart) setTimeout(() => void launch(route).catch((error) => console.error(`cluster: ${route.name} did not start again: ${(error as Error).message}`)), 1_000);
    });
  };
  await Promise.all(routes.map(launch));

  const configFile = `${dir}/nginx.conf`;
  const writeConfig = () => writeFileSync(configFile, nginxConfig({ runners: routes, listenHost: host, port, previewPort, prefix: dir }));
  // Ready as of now (each runner answered its start-up line); the watcher keeps it current.
  for (const route of routes) route.down = false;
  writeConfig();
  const test = spawnSync(NGINX, ['-t', '-p', dir, '-c', configFile], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`the generated nginx config is invalid:\n${test.stderr}`);
  const nginx = spawn(NGINX, ['-p', dir, '-c', configFile], { stdio: ['ignore', 'inherit', 'inherit'] });
  const nginxExited = new Promise<void>((resolve) => nginx.once('exit', () => resolve()));

  let refreshing: Promise<void> = Promise.resolve();
  async function refresh(): Promise<void> {
    refreshing = refreshing.then(async () => {
      const before = routes.map((route) => route.down).join();
      await Promise.all(
        routes.map(async (route) => {
          const runner = runners.get(route.name);
          const ready = runner && runner.child.exitCode === null ? await fetch(`${runner.url}/api/ready`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false) : false;
          route.down = !ready;
        }),
      );
      if (stopping || routes.map((route) => route.down).join() === before || nginx.exitCode !== null) return;
      writeConfig();
      console.log(`cluster: ready runners now ${routes.filter((route) => !route.down).map((route) => route.name).join(', ') || 'none'}; nginx reloads`);
      nginx.kill('SIGHUP');
    });
    return refreshing;
  }
  const watcher = setInterval(() => void refresh(), 1_000);

  // nginx listens once it answers.
  const url = `http://${readerHost.includes(':') ? `[${readerHost}]` : readerHost}:${port}`;
  for (let tries = 0; ; tries++) {
    const answered = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
    if (answered) break;
    if (nginx.exitCode !== null || tries > 100) throw new Error('nginx did not start; see its error log in ' + dir);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    url,
    previewUrl: previewOrigin,
    runners,
    routes,
    nginx,
    configFile,
    relaunch: async (name) => {
      const route = routes.find((candidate) => candidate.name === name);
      if (!route) throw new Error(`no runner ${name} in this cluster`);
      await launch(route);
      await refresh();
      return runners.get(name)!;
    },
    stop: async () => {
      stopping = true;
      clearInterval(watcher);
      await Promise.all(
        [...runners.values()].map((runner) => {
          if (runner.child.exitCode === null) runner.child.kill('SIGTERM');
          return runner.exited;
        }),
      );
      nginx.kill('SIGQUIT');
      await nginxExited;
    },
  };
}

if (import.meta.main) {
  try {
    const cluster = await startCluster();
    console.log(`Socket Workbook cluster: ${cluster.url}  previews on ${cluster.previewUrl}  (nginx + runners ${[...cluster.runners.keys()].join(', ')}; config ${cluster.configFile})`);
    let leaving = false;
    const leave = () => {
      if (leaving) return;
      leaving = true;
      console.log('cluster: draining the runners, then stopping nginx');
      void cluster.stop().then(() => process.exit(0));
    };
    process.on('SIGTERM', leave);
    process.on('SIGINT', leave);
  } catch (error) {
    console.error(`cluster: ${(error as Error).message}`);
    process.exit(1);
  }
}
