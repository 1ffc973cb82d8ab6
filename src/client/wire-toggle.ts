/**
 * A cell's "Wire" toggle: a button in its toolbar. The view itself (wire-view.ts, with its CSS)
 * is imported only when a reader first presses it; until then this is all that ships. The cell
 * tells it which runs it started (`workbook-run-start`), so the view can show this example's
 * connections and name each run by its example.
 */
import { t } from './page-strings.ts';

/** Every run of the page and the example (cell variant id) that started it. */
export const examplesByRun = new Map<string, string>();

export interface WireRunStart {
  run: string;
  example: string;
}

export interface WireViewHandle {
  show(visible: boolean): void;
}

let panels = 0;

export function addWireToggle(cell: HTMLElement, toolbar: HTMLElement, after: HTMLElement): void {
  const runs = new Set<string>();
  cell.addEventListener('workbook-run-start', (event) => {
    const { run, example } = (event as CustomEvent<WireRunStart>).detail;
    runs.add(run);
    examplesByRun.set(run, example);
  });
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'wb-btn wb-wire-toggle';
  button.textContent = t('wire.toggle');
  button.title = t('wire.toggle.title');
  button.setAttribute('aria-expanded', 'false');
  const panelId = `wb-wire-${++panels}`;
  button.setAttribute('aria-controls', panelId);
  let view: Promise<WireViewHandle> | null = null;
  button.addEventListener('click', () => {
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    if (!view) {
      button.setAttribute('aria-busy', 'true');
      view = import('./wire-view.ts').then(({ createWireView }) => createWireView({ cell, after, panelId, runs }));
      view.catch(() => {
        view = null;
        button.setAttribute('aria-expanded', 'false');
        button.title = t('wire.failed');
      }).finally(() => button.removeAttribute('aria-busy'));
    }
    void view.then((handle) => handle.show(open), () => {});
  });
  toolbar.append(button);
}
