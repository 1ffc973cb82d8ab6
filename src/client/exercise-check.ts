/**
 * The Check button of an exercise cell (loaded when the reader presses it). It fetches the
 * exercise (`/exercises/<id>.json`: the hidden checker and the checks' titles), runs the reader's
 * program and the checker in the page's session, in the order the exercise's kind asks, and
 * lists each check in the page's language with the overall verdict. The checker's output
 * contract is in exercise-results.ts.
 */
import type { ExitEvent } from '../../sandbox-runner/protocol.ts';
import type { ExerciseBundle } from '../cells/exercises.ts';
import { isReadyLine, verdictOf, type Verdict } from './exercise-results.ts';
import { runner } from './runner-client.ts';
import { t } from './page-strings.ts';
import { pageLocale } from './coach-view.ts';

/** What the check needs of the cell: run the reader's program. */
export interface ExerciseCell {
  root: HTMLElement;
  /** Starts the reader's program; resolves once it is ready for clients, with its end. */
  launch(): Promise<{ done: Promise<void> }>;
}

const bundles = new Map<string, Promise<ExerciseBundle>>();

function fetchBundle(id: string): Promise<ExerciseBundle> {
  let bundle = bundles.get(id);
  if (!bundle) {
    bundle = fetch(`/exercises/${encodeURIComponent(id)}.json`).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json() as Promise<ExerciseBundle>;
    });
    bundle.catch(() => bundles.delete(id));
    bundles.set(id, bundle);
  }
  return bundle;
}

interface CheckerRun {
  stdout(): string;
  stderr(): string;
  /** Resolves true once the checker printed its ready line (false: it ended first). */
  listening: Promise<boolean>;
  done: Promise<ExitEvent>;
}

function startChecker(bundle: ExerciseBundle, signal: AbortSignal): CheckerRun {
  let stdout = '';
  let stderr = '';
  let markListening!: (value: boolean) => void;
  const listening = new Promise<boolean>((resolve) => (markListening = resolve));
  const done = runner.run({
    language: 'python',
    code: bundle.checker,
    files: bundle.files,
    stdin: '',
    timeoutMs: bundle.timeoutMs,
    signal,
    onEvent: (event) => {
      if (event.type === 'stdout') {
        stdout += event.data;
        if (stdout.split('\n').some(isReadyLine)) markListening(true);
      } else if (event.type === 'stderr') stderr += event.data;
    },
  });
  done.finally(() => markListening(false)).catch(() => {});
  return { stdout: () => stdout, stderr: () => stderr, listening, done };
}

function render(box: HTMLElement, bundle: ExerciseBundle, verdict: Verdict): void {
  const locale = pageLocale();
  const list = box.querySelector<HTMLOListElement>('.wb-checks')!;
  list.replaceChildren(
    ...verdict.results.map((result) => {
      const check = bundle.checks.find((candidate) => candidate.key === result.key)!;
      const item = document.createElement('li');
      item.className = 'wb-check-item';
      item.dataset.check = result.key;
      item.dataset.ok = String(result.ok === true);
      const mark = document.createElement('span');
      mark.className = 'wb-check-mark';
      mark.setAttribute('aria-hidden', 'true');
      mark.textContent = result.ok ? '✓' : '✗';
      const title = document.createElement('span');
      title.className = 'wb-check-title';
      title.textContent = check.title[locale] ?? check.title.en;
      const state = document.createElement('span');
      state.className = 'wb-check-state';
      state.textContent = result.ok === null ? t('exercise.not-reached') : t(result.ok ? 'exercise.passed' : 'exercise.failed');
      item.append(mark, title, ' — ', state);
      if (result.detail) {
        const detail = document.createElement('code');
        detail.className = 'wb-check-detail';
        detail.textContent = result.detail;
        item.append(detail);
      }
      return item;
    }),
  );
  const status = box.querySelector<HTMLElement>('.wb-verdict')!;
  status.dataset.verdict = verdict.allPassed ? 'pass' : 'fail';
  status.textContent = t(verdict.allPassed ? 'exercise.verdict.pass' : 'exercise.verdict.fail', { passed: verdict.passed, total: verdict.total });
}

/** Runs the check once; the button stays busy meanwhile. */
export async function checkExercise(cell: ExerciseCell, button: HTMLButtonElement): Promise<void> {
  const id = button.dataset.exercise!;
  const box = cell.root.querySelector<HTMLElement>(`.wb-exercise[data-exercise="${id}"]`)!;
  const list = box.querySelector<HTMLElement>('.wb-checks')!;
  const status = box.querySelector<HTMLElement>('.wb-verdict')!;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  box.hidden = false;
  list.replaceChildren();
  delete status.dataset.verdict;
  status.textContent = t('exercise.checking');
  const abort = new AbortController();
  try {
    const bundle = await fetchBundle(id);
    let checker: CheckerRun;
    if (bundle.kind === 'server') {
      // The reader's server first; the checker is its clients.
      await cell.launch();
      checker = startChecker(bundle, abort.signal);
    } else {
      // The checker is the server the reader's client talks to.
      checker = startChecker(bundle, abort.signal);
      if (await checker.listening) await (await cell.launch()).done;
    }
    const exit = await checker.done;
    const verdict = verdictOf(checker.stdout(), bundle.checks.map((check) => check.key));
    if (verdict.results.every((result) => result.ok === null) && (exit.reason !== 'exit' || exit.code !== 0)) {
      const reason = checker.stderr().trim().split('\n').pop() || t(`exit.${exit.reason}`);
      throw new Error(reason);
    }
    render(box, bundle, verdict);
  } catch (error) {
    list.replaceChildren();
    delete status.dataset.verdict;
    status.textContent = t('exercise.error', { reason: (error as Error).message });
  } finally {
    abort.abort();
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
