/**
 * The runner's operator view in Prometheus text format (`GET /metrics`), with prom-client: one
 * registry per runner (several may share a process in tests), fed by the HTTP layer (runs,
 * refusals, sandbox failures) and read from the session manager and the cgroups when scraped.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ExitReason, Language } from './protocol.ts';
import type { BusyCause } from './errors.ts';
import type { SandboxUsage } from './sandbox/backend.ts';

/** What the metrics read when scraped. */
export interface MetricSources {
  runnerName: string;
  sessions(): number;
  runs(): number;
  draining(): boolean;
  /** Memory and CPU of all sessions together (from the cgroups), when there is a sandbox. */
  usage(): Promise<SandboxUsage | null>;
}


/** Where the sandbox failed: making a session, starting a run, or a run that ended with reason `error`. */
export type SandboxFailureStage = 'session' | 'run-start' | 'run';

export class RunnerMetrics {
  readonly registry = new Registry();
  private readonly runsEnded: Counter<'language' | 'reason'>;
  private readonly runDuration: Histogram<'language'>;
  private readonly runStart: Histogram<'language'>;
  private readonly busyAnswers: Counter<'cause'>;
  private readonly sandboxFailures: Counter<'stage'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ runner: sources.runnerName });
    collectDefaultMetrics({ register: this.registry, prefix: 'workbook_' });
    new Gauge({ name: 'workbook_sessions', help: 'Live sessions (readers) on this runner.', registers, collect() { this.set(sources.sessions()); } });
    new Gauge({ name: 'workbook_runs_active', help: 'Runs going now (servers waiting for connections included).', registers, collect() { this.set(sources.runs()); } });
    new Gauge({ name: 'workbook_draining', help: '1 while the runner drains (SIGTERM) and takes no new work.', registers, collect() { this.set(sources.draining() ? 1 : 0); } });
    // Read once per scrape, shared by the two gauges below.
    let usage: Promise<SandboxUsage | null> | null = null;
    const read = () => (usage ??= sources.usage().finally(() => setImmediate(() => (usage = null))));
    new Gauge({
      name: 'workbook_sessions_memory_bytes',
      help: 'Memory of all sessions together (their cgroups; tmpfs files included).',
      registers,
      async collect() {
        this.set((await read())?.memoryBytes ?? 0);
      },
    });
    new Gauge({
      name: 'workbook_sessions_cpu_seconds',
      help: 'CPU time used by all sessions so far (their cgroups; absent where the CPU controller cannot be read, e.g. a separate cpuacct hierarchy on cgroup v1).',
      registers,
      async collect() {
        const seconds = (await read())?.cpuSeconds;
        if (seconds !== null && seconds !== undefined) this.set(seconds);
      },
    });
    this.runsEnded = new Counter({ name: 'workbook_runs_total', help: 'Runs ended, by language and exit reason.', labelNames: ['language', 'reason'], registers });
    this.runDuration = new Histogram({ name: 'workbook_run_duration_seconds', help: 'How long runs lasted, start to exit.', labelNames: ['language'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers });
    this.runStart = new Histogram({ name: 'workbook_run_start_seconds', help: 'Latency from a run request to its start event (the reader waits this before any output).', labelNames: ['language'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers });
    this.busyAnswers = new Counter({ name: 'workbook_busy_total', help: 'Requests refused with 429, by the limit that refused them.', labelNames: ['cause'], registers });
    this.sandboxFailures = new Counter({ name: 'workbook_sandbox_failures_total', help: 'Sandbox failures: a session or run that could not start, or a run that ended with reason error.', labelNames: ['stage'], registers });
  }

  runStarted(language: Language, seconds: number): void {
    this.runStart.observe({ language }, seconds);
  }

  runEnded(language: Language, reason: ExitReason, seconds: number): void {
    this.runsEnded.inc({ language, reason });
    this.runDuration.observe({ language }, seconds);
    if (reason === 'error') this.sandboxFailed('run');
  }

  busy(cause: BusyCause): void {
    this.busyAnswers.inc({ cause });
  }

  sandboxFailed(stage: SandboxFailureStage): void {
    this.sandboxFailures.inc({ stage });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
