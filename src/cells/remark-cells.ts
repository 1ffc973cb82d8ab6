/**
 * Remark plugin: turns runnable fenced blocks (see cell-meta.ts) into `<workbook-cell>` elements.
 *
 * Everything a reader needs without JavaScript is rendered here, at build time: the code
 * (left as a code node, so Expressive Code highlights it as usual), the expected output, and
 * the page's runner notice. The controls are rendered too, `hidden` until the browser client
 * (src/client/) upgrades the element, so the page does not jump and labels stay translated.
 *
 * Cells sharing a `group` on one page become the tabs of one element, placed where the first
 * of them was written.
 */
import { relative, sep } from 'node:path';
import type { Code, Parent, Root, RootContent } from 'mdast';
import type { Position } from 'unist';
import { CellError, collectCells, locateCellError, type CollectedCell } from './collect-cells.ts';
import { SERVER_TIMEOUT_MS } from './cell-meta.ts';
import { readsStdin } from './heuristics.ts';
import { loadExercise } from './exercises.ts';
import { isLocaleId, type LocaleId } from '../i18n/locales.ts';
import { STRINGS, translator, type StringKey } from '../i18n/strings.ts';

export interface RemarkCellsOptions {
  /** Absolute path of the chapters folder; the first folder below it is the locale. */
  contentDir?: string;
  /** Locale used when a file's path does not name one. */
  defaultLocale?: LocaleId;
}

/** Minimal MDX JSX node shapes (mdast-util-mdx-jsx), to avoid a type-only dependency. */
interface JsxAttribute {
  type: 'mdxJsxAttribute';
  name: string;
  value: string | null;
}
interface JsxElement {
  type: 'mdxJsxFlowElement';
  name: string;
  attributes: JsxAttribute[];
  children: Array<JsxElement | RootContent | { type: 'text'; value: string }>;
}
type Child = JsxElement['children'][number];
type Attrs = Record<string, string | number | boolean | undefined>;

/** Builds an MDX JSX element; `true` gives a boolean attribute, `false`/undefined none. */
function h(name: string, attrs: Attrs = {}, children: Array<Child | string> = []): JsxElement {
  const attributes: JsxAttribute[] = [];
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    attributes.push({ type: 'mdxJsxAttribute', name: key, value: value === true ? null : String(value) });
  }
  return {
    type: 'mdxJsxFlowElement',
    name,
    attributes,
    children: children.map((child) => (typeof child === 'string' ? { type: 'text', value: child } : child)),
  };
}

/** Tab label per runner language. */
const LANGUAGE_LABELS = { python: 'Python', javascript: 'Node.js', typescript: 'TypeScript' } as const;

/** Picks the locale from a chapter's path (`<contentDir>/<locale>/...`). */
export function localeOfPath(path: string | undefined, options: RemarkCellsOptions): LocaleId {
  const fallback = options.defaultLocale ?? 'zh';
  if (!path) return fallback;
  const rel = options.contentDir ? relative(options.contentDir, path) : path;
  const segments = rel.split(sep).join('/').split('/');
  const found = options.contentDir ? [segments[0]] : segments;
  for (const segment of found) if (segment && isLocaleId(segment)) return segment;
  return fallback;
}

/** Renders expected output with `{{...}}` wildcards marked, so readers know those parts vary. */
function expectedOutputChildren(text: string): Child[] {
  const parts: Child[] = [];
  let last = 0;
  for (const match of text.matchAll(/\{\{([^}]*)\}\}/g)) {
    if (match.index > last) parts.push(verbatim(text.slice(last, match.index)));
    parts.push(h('span', { class: 'wb-wild', title: '…' }, [match[1].trim() || '…']));
    last = (match.index ?? 0) + match[0].length;
  }
  if (text.length > last) parts.push(verbatim(text.slice(last)));
  return parts;
}

/**
 * Text that keeps every space. mdast-util-to-hast trims spaces and tabs around each line break of
 * a text node (right for prose, wrong for a traceback's `  File` lines and `^^^` carets); a node
 * that names its own hast children skips that, so the text reaches the page as written.
 */
function verbatim(value: string): Child {
  return { type: 'text', value, data: { hName: 'span', hChildren: [{ type: 'text', value }] } } as unknown as Child;
}

/** Splits collected cells into page-order units: a group's cells together, at the first one. */
function unitsOf(cells: CollectedCell[]): CollectedCell[][] {
  const units: CollectedCell[][] = [];
  const byGroup = new Map<string, CollectedCell[]>();
  for (const cell of cells) {
    const group = cell.meta.group;
    if (group && byGroup.has(group)) {
      byGroup.get(group)!.push(cell);
      continue;
    }
    const unit = [cell];
    if (group) byGroup.set(group, unit);
    units.push(unit);
  }
  return units;
}

function buildCell(unit: CollectedCell[], locale: LocaleId, pageIndex: number): JsxElement {
  const t = translator(locale);
  const first = unit[0].meta;
  const domId = (suffix: string) => `wb-${first.id}-${suffix}`;
  const tabbed = unit.length > 1;
  const anyServer = unit.some((cell) => cell.meta.server);
  const anyStdin = unit.some((cell) => cell.meta.stdin !== undefined || readsStdin(cell.meta.language, cell.code));
  const previewPort = unit.find((cell) => cell.meta.previewPort)?.meta.previewPort;
  const needs = first.needs;
  const exercise = unit.find((cell) => cell.meta.exercise)?.meta.exercise;

  const labels = unit.map((cell) => {
    const base = LANGUAGE_LABELS[cell.meta.language];
    const clash = unit.filter((other) => other.meta.language === cell.meta.language).length > 1;
    return clash ? `${base} (${cell.meta.id})` : base;
  });

  const head: Child[] = [];
  if (tabbed) {
    head.push(
      h(
        'div',
        { class: 'wb-tabs', role: 'tablist', 'aria-label': t('cell.tabs') },
        unit.map((cell, index) =>
          h(
            'button',
            {
              type: 'button',
              role: 'tab',
              class: 'wb-tab',
              id: `wb-tab-${cell.meta.id}`,
              'aria-controls': `wb-panel-${cell.meta.id}`,
              'aria-selected': index === 0 ? 'true' : 'false',
              tabindex: index === 0 ? '0' : '-1',
              'data-variant': cell.meta.id,
            },
            [labels[index]],
          ),
        ),
      ),
    );
  } else {
    head.push(h('span', { class: 'wb-lang' }, [labels[0]]));
  }
  // A label, not a control: it says in words what a server cell does (a tooltip nobody finds did).
  if (anyServer) head.push(h('span', { class: 'wb-badge' }, [t('cell.server.badge')]));
  if (exercise) head.push(h('span', { class: 'wb-badge wb-badge-exercise' }, [t('exercise.badge')]));
  const button = (action: string, key: StringKey, extra: Attrs = {}) =>
    h('button', { type: 'button', class: `wb-btn wb-${action}`, 'data-action': action, ...extra }, [t(key)]);
  head.push(
    h('div', { class: 'wb-actions', role: 'toolbar', 'aria-label': t('cell.toolbar'), hidden: true, 'data-pagefind-ignore': 'all' }, [
      button('run', 'cell.run', { 'aria-keyshortcuts': 'Control+Enter Meta+Enter Shift+Enter', title: t('cell.keys') }),
      button('stop', 'cell.stop', { disabled: true, 'aria-keyshortcuts': 'Escape' }),
      button('reset', 'cell.reset'),
      button('copy', 'cell.copy'),
      ...(exercise ? [button('check', 'exercise.check', { 'data-exercise': exercise })] : []),
    ]),
  );

  const panels = unit.map((cell, index) => {
    const { meta } = cell;
    const timeoutMs = meta.timeoutMs ?? (meta.server ? SERVER_TIMEOUT_MS : undefined);
    const panelChildren: Child[] = [];
    // Without JavaScript the tabs cannot switch: every version then shows, under this caption.
    if (tabbed) panelChildren.push(h('p', { class: 'wb-panel-lang', hidden: true }, [labels[index]]));
    panelChildren.push(h('div', { class: 'wb-code', 'aria-label': t('cell.code', { id: meta.id }), role: 'group' }, [cell.node]));
    if (meta.needs) {
      // The reader sees a link to the server cell, never its internal id.
      const [before, after = ''] = t('cell.needs').split('{server}');
      panelChildren.push(
        h('p', { class: 'wb-needs' }, [before, h('a', { href: `#wb-panel-${meta.needs}` }, [t('cell.needs.server')]), after].filter((part) => part !== '')),
      );
    }
    if (cell.expectedOutput !== undefined) {
      panelChildren.push(
        h('div', { class: 'wb-expected' }, [
          h('p', { class: 'wb-label', id: `wb-expected-label-${meta.id}` }, [t('cell.expected')]),
          h('pre', { class: 'wb-expected-output', 'aria-labelledby': `wb-expected-label-${meta.id}`, tabindex: '0' }, expectedOutputChildren(cell.expectedOutput)),
        ]),
      );
    }
    return h(
      'div',
      {
        class: 'wb-panel',
        id: `wb-panel-${meta.id}`,
        role: tabbed ? 'tabpanel' : undefined,
        'aria-labelledby': tabbed ? `wb-tab-${meta.id}` : undefined,
        hidden: index > 0,
        'data-variant-id': meta.id,
        'data-language': meta.language,
        'data-code': cell.code,
        'data-server': meta.server,
        'data-needs': meta.needs,
        'data-stdin': meta.stdin,
        'data-reads-stdin': meta.stdin !== undefined || readsStdin(meta.language, cell.code),
        'data-timeout-ms': timeoutMs,
        'data-preview-port': meta.previewPort,
        'data-exit-code': meta.exitCode,
        'data-exercise': meta.exercise,
        'data-args': meta.args ? JSON.stringify(meta.args) : undefined,
        'data-files': cell.files ? JSON.stringify(cell.files) : undefined,
      },
      panelChildren,
    );
  });

  const body: Child[] = [h('div', { class: 'wb-head' }, head), ...panels];

  if (anyStdin) {
    const stdinText = first.stdin ?? '';
    body.push(
      h('div', { class: 'wb-stdin', hidden: true, 'data-pagefind-ignore': 'all' }, [
        h('label', { for: domId('stdin'), class: 'wb-label' }, [t('cell.stdin')]),
        // The example's input is offered (one click sends it), never sent behind the reader's back.
        h('textarea', { id: domId('stdin'), class: 'wb-stdin-input', rows: String(Math.min(4, Math.max(2, stdinText.split('\n').length))), spellcheck: 'false', 'aria-describedby': domId('stdin-hint') }, []),
        h('div', { class: 'wb-stdin-actions' }, [
          button('send', 'cell.stdin.send', { disabled: true }),
          button('send-example', 'cell.stdin.example', { hidden: true }),
          button('eof', 'cell.stdin.eof', { disabled: true }),
        ]),
        h('p', { class: 'wb-hint', id: domId('stdin-hint') }, [t('cell.stdin.hint')]),
      ]),
    );
  }

  body.push(
    h('div', { class: 'wb-result', hidden: true }, [
      h('div', { class: 'wb-result-head' }, [
        h('span', { class: 'wb-label', id: domId('output-label') }, [t('cell.output')]),
        h('span', { class: 'wb-exit', role: 'status' }, []),
      ]),
      h('pre', { class: 'wb-output', role: 'log', 'aria-live': 'polite', 'aria-labelledby': domId('output-label'), tabindex: '0' }, []),
    ]),
  );

  if (exercise) body.push(exerciseResults(exercise, t, domId));

  if (previewPort) {
    body.push(
      h('div', { class: 'wb-preview', hidden: true, 'data-port': previewPort }, [
        h('div', { class: 'wb-result-head' }, [
          h('span', { class: 'wb-label' }, [t('cell.preview', { port: previewPort })]),
          button('reload', 'cell.preview.reload', { disabled: true }),
        ]),
        h('p', { class: 'wb-hint wb-preview-empty' }, [t('cell.preview.empty')]),
        h('iframe', { class: 'wb-frame', title: t('cell.preview', { port: previewPort }), sandbox: 'allow-scripts allow-forms', referrerpolicy: 'no-referrer', hidden: true }, []),
      ]),
    );
  }

  return h(
    'workbook-cell',
    {
      class: 'wb-cell not-content',
      'data-cell-id': first.id,
      'data-cell-ids': unit.map((cell) => cell.meta.id).join(' '),
      'data-group': first.group,
      'data-index': pageIndex,
      'data-server': anyServer,
      'data-needs': needs,
      role: 'region',
      'aria-label': t('cell.label', { id: first.group ?? first.id }),
    },
    body,
  );
}

/** Where an exercise's checks are listed once the reader presses Check (src/client/exercise-check.ts fills it). */
function exerciseResults(id: string, t: ReturnType<typeof translator>, domId: (suffix: string) => string): JsxElement {
  return h('div', { class: 'wb-exercise', hidden: true, 'data-exercise': id, 'data-pagefind-ignore': 'all' }, [
    h('p', { class: 'wb-label', id: domId('checks-label') }, [t('exercise.results')]),
    h('p', { class: 'wb-hint' }, [t('exercise.hint')]),
    h('ol', { class: 'wb-checks', 'aria-labelledby': domId('checks-label') }, []),
    h('p', { class: 'wb-verdict', role: 'status' }, []),
  ]);
}

/** The page-level bar: runner status, the reset-network control, and the no-runner notice. */
function buildSessionBar(locale: LocaleId): JsxElement {
  const t = translator(locale);
  // Only the strings the client shows at run time travel with the page.
  const clientKeys = (Object.keys(STRINGS[locale]) as StringKey[]).filter((key) => /^(exit|runner|wire|coach|exercise|cell\.(status|copied|copy|editor|run|stop|stdin))/.test(key));
  const clientStrings = Object.fromEntries(clientKeys.map((key) => [key, STRINGS[locale][key]]));
  // data-pagefind-ignore: the runner's notices are not what a search should find on every page.
  return h('workbook-session', { class: 'wb-session not-content', 'data-pagefind-ignore': 'all', 'data-strings': JSON.stringify(clientStrings), 'data-locale': locale }, [
    h('p', { class: 'wb-session-status', role: 'status' }, [
      // Without JavaScript this is what stays; the client replaces it with the runner's state.
      h('span', { class: 'wb-session-text', 'data-state': 'static' }, [t('runner.noscript')]),
    ]),
    h('button', { type: 'button', class: 'wb-btn wb-reset-network', 'data-action': 'reset-network', hidden: true }, [t('runner.resetNetwork')]),
  ]);
}

/** The part of a vfile the plugin uses: its path, and `fail` (unified's way to stop on an error). */
interface CellsFile {
  path?: string;
  fail?: (reason: string, options?: { place?: Position; ruleId?: string; source?: string }) => never;
}

/**
 * The plugin. Fails the build on bad cell metadata with `content/zh/x.mdx:LINE:COL: <what is
 * wrong and what to do>`, pointing at the cell's fence.
 */
export function remarkCells(options: RemarkCellsOptions = {}) {
  return (tree: Root, file: CellsFile) => {
    let cells: CollectedCell[];
    try {
      cells = collectCells(tree);
    } catch (error) {
      const message = locateCellError(error, file.path);
      const place = error instanceof CellError ? error.node.position : undefined;
      if (file.fail) file.fail(message, { place, ruleId: 'cell-meta', source: 'remark-cells' });
      throw new Error(message);
    }
    if (cells.length === 0) return;
    // An exercise cell names a folder of content/exercises/: a missing or broken one fails the build.
    for (const cell of cells) if (cell.meta.exercise && options.contentDir) loadExercise(cell.meta.exercise, options.contentDir);
    const locale = localeOfPath(file.path, options);
    const units = unitsOf(cells);

    // Remove the cells' code nodes and expected-output nodes, then put each unit's element
    // where its first cell was.
    const replacements = new Map<Code, JsxElement>();
    units.forEach((unit, index) => replacements.set(unit[0].node, buildCell(unit, locale, index)));
    const removed = new Set<RootContent>();
    for (const cell of cells) {
      if (cell.outputNode) removed.add(cell.outputNode);
      if (!replacements.has(cell.node)) removed.add(cell.node);
      // Expressive Code would read `run id=...` as its own options; the cell carries them.
      cell.node.meta = null;
    }
    const parents = new Set<Parent>(cells.map((cell) => cell.parent));
    let barPlaced = false;
    for (const parent of [tree as Parent, ...[...parents].filter((p) => p !== tree)]) {
      if (!parents.has(parent)) continue;
      const next: RootContent[] = [];
      for (const child of parent.children) {
        const replacement = replacements.get(child as Code);
        if (replacement) {
          if (!barPlaced) {
            next.push(buildSessionBar(locale) as unknown as RootContent);
            barPlaced = true;
          }
          next.push(replacement as unknown as RootContent);
        } else if (!removed.has(child)) {
          next.push(child);
        }
      }
      parent.children = next;
    }
  };
}

export default remarkCells;
