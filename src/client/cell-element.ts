/**
 * `<workbook-cell>`: the browser side of a runnable cell. The build renders its markup (see
 * src/cells/remark-cells.ts); this element wires the controls: Run / Stop / Reset / Copy, the
 * language tabs, the stdin box, the preview pane, the keyboard shortcuts, and the switch from the
 * highlighted code to Monaco when the reader starts editing.
 *
 * A cell is `idle` or `running`; a new Run while running stops the old run first. Each run has
 * its own AbortController, so nothing of an old run writes into the cell after it ends.
 */
import type { ExitEvent, Language, RunEvent } from '../../sandbox-runner/protocol.ts';
import { OutputView } from './output-view.ts';
import { RunnerError, runner } from './runner-client.ts';
import { t } from './page-strings.ts';
import type { EditorHandle } from './editor.ts';
import { readsStdin, serverPorts } from '../cells/heuristics.ts';
import { forgetEdit, loadEdit, saveEdit } from './saved-edits.ts';
import { showCoach } from './coach-view.ts';
import { addWireToggle } from './wire-toggle.ts';

type CellState = 'idle' | 'starting' | 'running';

interface Variant {
  id: string;
  panel: HTMLElement;
  language: Language;
  original: string;
  /** The reader's edited code kept in this browser, until the editor holds it. */
  saved?: string;
  editor?: EditorHandle;
  editorLoading?: Promise<void>;
}

interface ActiveRun {
  variant: Variant;
  abort: AbortController;
  runId?: string;
  /** Resolves when the run has ended (whatever the reason). */
  done: Promise<void>;
  /** Resolves on the first output or after a short grace, for clients that need this server. */
  ready: Promise<void>;
  stdinOpen: boolean;
  /** The reader asked for the example's input before the program had started. */
  sendExampleOnStart?: boolean;
}

/** Line and column (1-based) of a DOM point inside Expressive Code's rendered lines. */
function positionInCode(code: HTMLElement, node: Node | null, offset: number): { lineNumber: number; column: number } {
  const lines = [...code.querySelectorAll<HTMLElement>('.ec-line')];
  const element = node instanceof Element ? node : node?.parentElement;
  const line = element?.closest<HTMLElement>('.ec-line');
  const index = line ? lines.indexOf(line) : -1;
  if (!line || index < 0 || !node) return { lineNumber: 1, column: 1 };
  const text = line.querySelector('.code') ?? line;
  const range = document.createRange();
  range.selectNodeContents(text);
  try {
    range.setEnd(node, offset);
  } catch {
    return { lineNumber: index + 1, column: 1 };
  }
  return { lineNumber: index + 1, column: range.toString().length + 1 };
}

function caretFromPoint(x: number, y: number): { node: Node; offset: number } | null {
  const doc = document as Document & {
    caretPositionFromPoint?: (x: number, y: number) => { offsetNode: Node; offset: number } | null;
    caretRangeFromPoint?: (x: number, y: number) => Range | null;
  };
  const position = doc.caretPositionFromPoint?.(x, y);
  if (position) return { node: position.offsetNode, offset: position.offset };
  const range = doc.caretRangeFromPoint?.(x, y);
  return range ? { node: range.startContainer, offset: range.startOffset } : null;
}

function formatExit(exit: ExitEvent): string {
  let reason: string;
  if (exit.reason === 'exit') reason = exit.signal ? t('exit.signal', { signal: exit.signal }) : t('exit.exit', { code: exit.code ?? '?' });
  // Stop sends Ctrl-C (SIGINT) first and SIGKILL after a grace: say which one ended the program.
  else if (exit.reason === 'stopped' && (exit.signal === 'SIGINT' || exit.signal === 'SIGKILL')) reason = t(`exit.stopped.${exit.signal}`);
  else reason = t(`exit.${exit.reason}`);
  return `${reason} · ${t('exit.duration', { ms: Math.round(exit.durationMs) })}`;
}

/** A run that could not start, told in the page's language (never the browser's own message). */
function runErrorMessage(error: unknown): string {
  if (!(error instanceof RunnerError)) return t('runner.error.unreachable');
  if (error.status === 0) return t('runner.error.unreachable');
  if (error.status === 429 || error.code === 'busy') return t('runner.busy');
  if (error.status === 503) return t('runner.error.sandbox');
  return t('runner.error.refused', { status: error.status });
}

/** Grace before a client runs against a server that printed nothing yet. */
const SERVER_GRACE_MS = 800;

export class WorkbookCell extends HTMLElement {
  private variants: Variant[] = [];
  private active!: Variant;
  private state: CellState = 'idle';
  private run: ActiveRun | null = null;
  private output!: OutputView;
  private available = false;
  /** The Run button's own title (its shortcuts), restored when the runner is back. */
  private runTitle?: string;

  private get $() {
    const q = <T extends HTMLElement>(selector: string) => this.querySelector<T>(selector);
    return {
      actions: q<HTMLElement>('.wb-actions')!,
      runButton: q<HTMLButtonElement>('[data-action="run"]')!,
      stopButton: q<HTMLButtonElement>('[data-action="stop"]')!,
      copyButton: q<HTMLButtonElement>('[data-action="copy"]')!,
      result: q<HTMLElement>('.wb-result')!,
      exit: q<HTMLElement>('.wb-exit')!,
      stdinBox: q<HTMLElement>('.wb-stdin'),
      stdinInput: q<HTMLTextAreaElement>('.wb-stdin-input'),
      sendButton: q<HTMLButtonElement>('[data-action="send"]'),
      eofButton: q<HTMLButtonElement>('[data-action="eof"]'),
      preview: q<HTMLElement>('.wb-preview'),
    };
  }

  connectedCallback(): void {
    if (this.variants.length) return;
    this.variants = [...this.querySelectorAll<HTMLElement>('.wb-panel')].map((panel) => ({
      id: panel.dataset.variantId!,
      panel,
      language: panel.dataset.language as Language,
      original: panel.dataset.code ?? '',
    }));
    this.active = this.variants.find((variant) => !variant.panel.hidden) ?? this.variants[0];
    this.output = new OutputView(this.querySelector<HTMLElement>('.wb-output')!);
    const $ = this.$;
    $.actions.hidden = false;
    addWireToggle(this, $.actions, $.result);
    this.dataset.state = 'idle';
    this.updateStdinBox();

    this.addEventListener('click', (event) => this.onClick(event));
    this.addEventListener('keydown', (event) => this.onKeydown(event));
    for (const variant of this.variants) this.prepareCode(variant);
    // The reader's earlier edits (this page in either language): shown in the editor again.
    for (const variant of this.variants) {
      const saved = loadEdit(variant.id);
      if (saved !== null && saved !== variant.original) {
        variant.saved = saved;
        void this.openEditor(variant, { lineNumber: 1, column: 1 }, undefined, false);
      }
    }
    this.querySelector('.wb-tabs')?.addEventListener('keydown', (event) => this.onTabKey(event as KeyboardEvent));
    runner.addEventListener('session-reset', () => this.clearPreview());

    $.runButton.disabled = true;
    runner.addEventListener('state', () => this.onRunnerState());
    void runner.watch().then(() => this.onRunnerState());
  }

  /** Run follows the runner: disabled, with the reason as its description, while it is away. */
  private onRunnerState(): void {
    const state = runner.state;
    if (state === 'checking') return;
    const ready = state === 'ready';
    this.available = ready;
    this.dataset.runner = ready ? 'ready' : 'unavailable';
    const run = this.$.runButton;
    this.runTitle ??= run.title;
    run.disabled = !ready;
    run.title = ready ? this.runTitle : t(`cell.run.disabled.${state}`);
    if (this.$.preview) this.$.preview.hidden = !ready;
    // What the reader can still read: the expected output, when no output of a run is there.
    if (!ready && !this.isRunning && this.output.isOnlyNotes) {
      for (const variant of this.variants) variant.panel.querySelector<HTMLElement>('.wb-expected')?.removeAttribute('hidden');
    }
  }

  /** Ids of this cell's variants (a group's tabs). */
  get variantIds(): string[] {
    return this.variants.map((variant) => variant.id);
  }

  get isRunning(): boolean {
    return this.state !== 'idle';
  }

  /** Resolves once this cell's current run is ready for clients (first output or a grace). */
  get ready(): Promise<void> {
    return this.run?.ready ?? Promise.resolve();
  }

  // ----- code and editor -------------------------------------------------------------------

  private codeOf(variant: Variant): string {
    return variant.editor?.getValue() ?? variant.saved ?? variant.original;
  }

  private prepareCode(variant: Variant): void {
    const code = variant.panel.querySelector<HTMLElement>('.wb-code')!;
    code.tabIndex = 0;
    code.setAttribute('aria-keyshortcuts', 'Enter');
    code.addEventListener('pointerdown', (event) => {
      if (variant.editor || variant.editorLoading || event.button !== 0) return;
      if ((event.target as Element).closest('button')) return;
      const caret = caretFromPoint(event.clientX, event.clientY);
      const position = caret ? positionInCode(code, caret.node, caret.offset) : { lineNumber: 1, column: 1 };
      event.preventDefault();
      void this.openEditor(variant, position);
    });
    code.addEventListener('keydown', (event) => {
      if (variant.editor || variant.editorLoading || event.target !== code) return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const typed = event.key.length === 1 ? event.key : undefined;
      if (!typed && event.key !== 'Enter') return;
      if (event.key === 'Enter' && event.shiftKey) return;
      event.preventDefault();
      void this.openEditor(variant, { lineNumber: 1, column: 1 }, typed);
    });
  }

  /** Replaces the highlighted code with Monaco, caret where the reader clicked. */
  private openEditor(variant: Variant, position: { lineNumber: number; column: number }, typed?: string, focus = true): Promise<void> {
    if (variant.editorLoading) return variant.editorLoading;
    const code = variant.panel.querySelector<HTMLElement>('.wb-code')!;
    const highlighted = code.querySelector<HTMLElement>('.expressive-code') ?? code.firstElementChild as HTMLElement;
    code.setAttribute('aria-busy', 'true');
    code.dataset.loading = t('cell.editor.loading');
    variant.editorLoading = import('./editor.ts')
      .then(({ createEditor }) => {
        const host = document.createElement('div');
        host.className = 'wb-editor';
        const height = highlighted?.getBoundingClientRect().height;
        if (height) host.style.height = `${height}px`;
        code.append(host);
        highlighted.hidden = true;
        code.removeAttribute('tabindex');
        variant.editor = createEditor(host, {
          code: variant.saved ?? variant.original,
          language: variant.language,
          position,
          typed,
          focus,
          onChange: (value) => (value === variant.original ? forgetEdit(variant.id) : saveEdit(variant.id, value)),
          ariaLabel: code.getAttribute('aria-label') ?? variant.id,
          onRun: () => void this.start(),
          onRunAndNext: () => this.runAndNext(),
          onStop: () => void this.stop(),
        });
        this.dataset.editing = 'true';
      })
      .catch(() => {
        variant.editorLoading = undefined;
        this.$.result.hidden = false;
        this.output.appendNote(t('cell.editor.failed'));
      })
      .finally(() => {
        code.removeAttribute('aria-busy');
        delete code.dataset.loading;
      });
    return variant.editorLoading;
  }

  // ----- events ----------------------------------------------------------------------------

  private onClick(event: MouseEvent): void {
    // The "needs a server" hint links to the server's panel: show that tab before the page scrolls to it.
    const link = (event.target as Element).closest<HTMLAnchorElement>('a[href^="#wb-panel-"]');
    if (link) {
      const id = decodeURIComponent(link.hash.slice('#wb-panel-'.length));
      const server = [...document.querySelectorAll<WorkbookCell>('workbook-cell')].find((cell) => cell.variantIds?.includes(id));
      server?.selectVariant(id);
      return;
    }
    const target = (event.target as Element).closest<HTMLElement>('[data-action], [role="tab"]');
    if (!target || !this.contains(target)) return;
    if (target.getAttribute('role') === 'tab') return this.selectVariant(target.dataset.variant!, true);
    switch (target.dataset.action) {
      case 'run': return void this.start();
      case 'stop': return void this.stop();
      case 'reset': return void this.reset();
      case 'copy': return void this.copy();
      case 'send': return void this.sendLine();
      case 'eof': return void this.sendEof();
      case 'send-example': return void this.sendExample();
      case 'reload': return this.reloadPreview();
      case 'check': return void import('./exercise-check.ts').then(({ checkExercise }) => checkExercise(this.exerciseCell, target as HTMLButtonElement));
    }
  }

  private onKeydown(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    const inStdin = target === this.$.stdinInput;
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void this.start();
    } else if (event.key === 'Enter' && event.shiftKey && !inStdin) {
      event.preventDefault();
      this.runAndNext();
    } else if (event.key === 'Escape' && this.isRunning) {
      event.preventDefault();
      void this.stop();
    } else if (inStdin && event.key === 'Enter' && !event.shiftKey && this.run?.stdinOpen) {
      event.preventDefault();
      void this.sendLine();
    } else if (inStdin && event.key === 'd' && event.ctrlKey && this.run?.stdinOpen) {
      event.preventDefault();
      void this.sendEof();
    }
  }

  private onTabKey(event: KeyboardEvent): void {
    const keys: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
    if (!(event.key in keys)) return;
    event.preventDefault();
    const index = this.variants.indexOf(this.active);
    const step = keys[event.key];
    const next = Number.isFinite(step)
      ? (index + step + this.variants.length) % this.variants.length
      : step < 0 ? 0 : this.variants.length - 1;
    this.selectVariant(this.variants[next].id, true);
  }

  /** Shows one tab; runs keep going in the background and stay with their variant. */
  selectVariant(id: string, focusTab = false): void {
    const variant = this.variants.find((candidate) => candidate.id === id);
    if (!variant) return;
    this.active = variant;
    for (const other of this.variants) {
      const selected = other === variant;
      other.panel.hidden = !selected;
      const tab = this.querySelector<HTMLElement>(`[role="tab"][data-variant="${other.id}"]`);
      tab?.setAttribute('aria-selected', String(selected));
      if (tab) tab.tabIndex = selected ? 0 : -1;
      if (selected && focusTab) tab?.focus();
    }
    this.dataset.cellId = variant.id;
    this.updateStdinBox();
  }

  private updateStdinBox(): void {
    const { stdinBox, stdinInput } = this.$;
    if (!stdinBox || !stdinInput) return;
    const panel = this.active.panel;
    const wants = panel.dataset.stdin !== undefined || readsStdin(this.active.language, this.codeOf(this.active));
    stdinBox.hidden = !wants;
    const example = this.querySelector<HTMLButtonElement>('[data-action="send-example"]');
    if (example) example.hidden = !panel.dataset.stdin;
  }

  private runAndNext(): void {
    void this.start();
    const cells = [...document.querySelectorAll<HTMLElement>('workbook-cell')];
    const next = cells[cells.indexOf(this) + 1];
    const target = next?.querySelector<HTMLElement>('.wb-panel:not([hidden]) .wb-code[tabindex]') ?? next?.querySelector<HTMLElement>('[data-action="run"]');
    if (target) {
      target.focus();
      target.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }
  }

  // ----- running ---------------------------------------------------------------------------

  /** Runs the visible variant (stopping a run in progress first). */
  async start(variant: Variant = this.active): Promise<void> {
    if (!this.available) return;
    if (this.run) await this.stop();
    const $ = this.$;
    const panel = variant.panel;
    const code = this.codeOf(variant);
    const abort = new AbortController();
    let markReady!: () => void;
    let finish!: () => void;
    const run: ActiveRun = {
      variant,
      abort,
      stdinOpen: false,
      ready: new Promise<void>((resolve) => (markReady = resolve)),
      done: new Promise<void>((resolve) => (finish = resolve)),
    };
    this.run = run;
    this.setState('starting');
    this.output.clear();
    showCoach(this.querySelector<HTMLElement>('.wb-output')!, '');
    $.exit.textContent = t('cell.status.starting');
    $.result.hidden = false;
    panel.querySelector<HTMLElement>('.wb-expected')?.setAttribute('hidden', '');

    const needs = panel.dataset.needs;
    if (needs) await this.startNeededServer(needs);
    if (panel.dataset.server !== undefined) await this.stopServersOnSamePorts(code);
    if (this.run !== run) return finish();

    const interactive = panel.dataset.stdin !== undefined || readsStdin(variant.language, code);
    const timeoutMs = panel.dataset.timeoutMs ? Number(panel.dataset.timeoutMs) : undefined;
    const previewPort = panel.dataset.previewPort ? Number(panel.dataset.previewPort) : undefined;
    const graceTimer = window.setTimeout(markReady, SERVER_GRACE_MS);

    try {
      const exit = await runner.run({
        language: variant.language,
        code,
        // A program that does not read input gets EOF at once; one that does keeps stdin open.
        stdin: interactive ? undefined : '',
        timeoutMs,
        // As a tutorial starts it: its command-line arguments and the module files it imports.
        args: panel.dataset.args ? (JSON.parse(panel.dataset.args) as string[]) : undefined,
        files: panel.dataset.files ? (JSON.parse(panel.dataset.files) as Record<string, string>) : undefined,
        signal: abort.signal,
        onEvent: (event) => {
          if (this.run !== run) return;
          this.onRunEvent(run, event, interactive, previewPort, markReady);
        },
      });
      if (this.run === run) $.exit.textContent = formatExit(exit);
      // A socket error a beginner meets: explained in the page's language, with the chapter.
      if (this.run === run) showCoach(this.querySelector<HTMLElement>('.wb-output')!, this.output.text);
      this.dataset.exitReason = exit.reason;
    } catch (error) {
      if (this.run === run && !abort.signal.aborted) {
        this.output.appendNote(runErrorMessage(error));
        $.exit.textContent = '';
        // Nothing ran: the expected output comes back, so the reader still sees what it prints.
        if (this.output.isOnlyNotes) panel.querySelector<HTMLElement>('.wb-expected')?.removeAttribute('hidden');
      }
    } finally {
      window.clearTimeout(graceTimer);
      markReady();
      if (this.run === run) {
        this.run = null;
        this.setState('idle');
      }
      finish();
    }
  }

  private onRunEvent(run: ActiveRun, event: RunEvent, interactive: boolean, previewPort: number | undefined, markReady: () => void): void {
    const $ = this.$;
    switch (event.type) {
      case 'start': {
        run.runId = event.run;
        this.dispatchEvent(new CustomEvent('workbook-run-start', { detail: { run: event.run, example: run.variant.id } }));
        this.setState('running');
        $.exit.textContent = t('cell.status.running');
        if (interactive) {
          run.stdinOpen = true;
          this.setStdinEnabled(true);
          if (run.sendExampleOnStart) void this.sendExample();
        }
        if (previewPort) window.setTimeout(() => void this.showPreview(previewPort), SERVER_GRACE_MS);
        break;
      }
      case 'stdout':
      case 'stderr':
        this.output.append(event.type, event.data);
        markReady();
        break;
      case 'exit':
        run.stdinOpen = false;
        this.setStdinEnabled(false);
        break;
    }
  }

  /** Starts the server cell this cell needs, unless it (or its group) is already running. */
  private async startNeededServer(id: string): Promise<void> {
    const server = [...document.querySelectorAll<WorkbookCell>('workbook-cell')].find((cell) => cell.variantIds?.includes(id));
    if (!server || server === this) return;
    if (!server.isRunning) {
      server.selectVariant(id);
      void server.start();
      // Let the server's run register before waiting on it.
      await Promise.resolve();
    }
    await server.ready;
  }

  /** The code of the running server variant, if this cell runs a server. */
  get runningServerCode(): string | null {
    const run = this.run;
    return run && run.variant.panel.dataset.server !== undefined ? this.codeOf(run.variant) : null;
  }

  /**
   * One page is one network: a second server on the same port would fail with "Address already
   * in use". Starting a server stops the page's other servers that bind the same port.
   */
  private async stopServersOnSamePorts(code: string): Promise<void> {
    const mine = serverPorts(code);
    if (mine.size === 0) return;
    const others = [...document.querySelectorAll<WorkbookCell>('workbook-cell')].filter((cell) => {
      if (cell === this || !cell.isRunning) return false;
      const theirs = cell.runningServerCode;
      return theirs !== null && [...serverPorts(theirs)].some((port) => mine.has(port));
    });
    await Promise.all(others.map((cell) => cell.stop()));
  }

  async stop(): Promise<void> {
    const run = this.run;
    if (!run) return;
    if (run.runId) {
      await runner.stop(run.runId);
      // The exit event (reason `stopped`) ends the stream; close it ourselves if it lingers.
      const lingering = window.setTimeout(() => run.abort.abort(), 2000);
      await run.done;
      window.clearTimeout(lingering);
    } else {
      run.abort.abort();
      await run.done;
    }
  }

  private setState(state: CellState): void {
    this.state = state;
    this.dataset.state = state;
    const $ = this.$;
    $.stopButton.disabled = state === 'idle';
    $.runButton.setAttribute('aria-busy', String(state !== 'idle'));
  }

  private setStdinEnabled(enabled: boolean): void {
    const $ = this.$;
    if ($.sendButton) $.sendButton.disabled = !enabled;
    if ($.eofButton) $.eofButton.disabled = !enabled;
  }

  private async sendLine(): Promise<void> {
    const run = this.run;
    const input = this.$.stdinInput;
    if (!run?.runId || !run.stdinOpen || !input) return;
    const line = input.value;
    input.value = '';
    this.output.appendEcho(line.endsWith('\n') ? line : `${line}\n`);
    await runner.sendStdin(run.runId, { data: line.endsWith('\n') ? line : `${line}\n` });
  }

  /** Sends the example's own input (its `stdin=`), starting the program first when idle. */
  private async sendExample(): Promise<void> {
    const data = this.active.panel.dataset.stdin;
    if (!data) return;
    const run = this.run;
    if (!run) {
      void this.start();
      if (this.run) (this.run as ActiveRun).sendExampleOnStart = true;
      return;
    }
    if (!run.runId || !run.stdinOpen) {
      run.sendExampleOnStart = true;
      return;
    }
    run.sendExampleOnStart = false;
    const text = data.endsWith('\n') ? data : `${data}\n`;
    this.output.appendEcho(text);
    await runner.sendStdin(run.runId, { data: text });
  }

  private async sendEof(): Promise<void> {
    const run = this.run;
    if (!run?.runId || !run.stdinOpen) return;
    run.stdinOpen = false;
    this.setStdinEnabled(false);
    await runner.sendStdin(run.runId, { eof: true });
  }

  /** What an exercise's check needs of this cell (exercise-check.ts). */
  private get exerciseCell() {
    return {
      root: this,
      launch: async () => {
        if (this.run) await this.stop();
        const done = this.start();
        await this.ready;
        return { done };
      },
    };
  }

  // ----- reset, copy, preview --------------------------------------------------------------

  private async reset(): Promise<void> {
    await this.stop();
    const variant = this.active;
    variant.editor?.setValue(variant.original);
    variant.saved = undefined;
    forgetEdit(variant.id);
    this.output.clear();
    this.$.result.hidden = true;
    this.$.exit.textContent = '';
    variant.panel.querySelector<HTMLElement>('.wb-expected')?.removeAttribute('hidden');
    const input = this.$.stdinInput;
    if (input) input.value = '';
    delete this.dataset.exitReason;
    this.updateStdinBox();
  }

  private async copy(): Promise<void> {
    const button = this.$.copyButton;
    const text = this.codeOf(this.active);
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    button.textContent = t('cell.copied');
    window.setTimeout(() => (button.textContent = t('cell.copy')), 1500);
  }

  private async showPreview(port: number): Promise<void> {
    const pane = this.$.preview;
    if (!pane || !this.isRunning) return;
    const session = await runner.currentSession();
    if (!session) return;
    pane.hidden = false;
    pane.querySelector<HTMLButtonElement>('[data-action="reload"]')!.disabled = false;
    await this.loadPreview(runner.previewUrl(session, port), port);
  }

  /**
   * Loads the preview, asking first: when nothing listens (the server stopped, or the session
   * ended) the runner answers with its own English JSON error, which the frame must not show; the
   * reader gets a notice in the page's language instead.
   */
  private async loadPreview(url: string, port: number): Promise<void> {
    const pane = this.$.preview!;
    const frame = pane.querySelector<HTMLIFrameElement>('iframe')!;
    const notice = pane.querySelector<HTMLElement>('.wb-preview-empty')!;
    if (!(await runner.previewAnswers(url))) {
      frame.removeAttribute('src');
      frame.hidden = true;
      notice.textContent = t('runner.preview.unavailable', { port });
      notice.hidden = false;
      return;
    }
    notice.hidden = true;
    frame.hidden = false;
    // A sandboxed frame without same-origin cannot be reloaded from here: reassign its src.
    frame.src = 'about:blank';
    window.setTimeout(() => (frame.src = url), 0);
  }

  private reloadPreview(): void {
    const port = Number(this.$.preview?.dataset.port);
    if (!port) return;
    void runner.currentSession().then((session) => {
      if (session) void this.loadPreview(runner.previewUrl(session, port), port);
      else {
        const notice = this.$.preview!.querySelector<HTMLElement>('.wb-preview-empty')!;
        this.$.preview!.querySelector<HTMLIFrameElement>('iframe')!.hidden = true;
        notice.textContent = t('runner.preview.unavailable', { port });
        notice.hidden = false;
      }
    });
  }

  private clearPreview(): void {
    const pane = this.$.preview;
    if (!pane) return;
    const frame = pane.querySelector<HTMLIFrameElement>('iframe')!;
    frame.removeAttribute('src');
    frame.hidden = true;
    pane.querySelector<HTMLElement>('.wb-preview-empty')!.hidden = false;
  }
}
