/**
 * Monaco, loaded only when a reader starts editing a cell (this module is imported dynamically).
 * Self-hosted: the editor worker is bundled by Vite (`?worker`), nothing comes from a CDN.
 * Only the editor core, a few editing features and the Python / JavaScript / TypeScript
 * tokenizers are imported; no TypeScript language service (its worker alone is megabytes).
 */
import * as monaco from 'monaco-editor/editor/editor.api.js';
import 'monaco-editor/features/bracketMatching/register.js';
import 'monaco-editor/features/clipboard/register.js';
import 'monaco-editor/features/comment/register.js';
import 'monaco-editor/features/contextmenu/register.js';
import 'monaco-editor/features/cursorUndo/register.js';
import 'monaco-editor/features/find/register.js';
import 'monaco-editor/features/indentation/register.js';
import 'monaco-editor/features/linesOperations/register.js';
import 'monaco-editor/features/multicursor/register.js';
import 'monaco-editor/features/suggest/register.js';
import 'monaco-editor/editor/contrib/suggest/browser/suggestController.js';
import 'monaco-editor/features/wordHighlighter/register.js';
import 'monaco-editor/features/wordOperations/register.js';
import 'monaco-editor/features/codicon/register.js';
import 'monaco-editor/languages/definitions/python/register.js';
import 'monaco-editor/languages/definitions/javascript/register.js';
import 'monaco-editor/languages/definitions/typescript/register.js';
import EditorWorker from 'monaco-editor/editor/editor.worker.js?worker';

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker };
  }
}

window.MonacoEnvironment = { getWorker: () => new EditorWorker() };

export interface EditorOptions {
  code: string;
  language: 'python' | 'javascript' | 'typescript';
  /** 1-based line and column where the caret goes (where the reader clicked). */
  position: { lineNumber: number; column: number };
  /** Text the reader typed before the editor was ready, typed in now. */
  typed?: string;
  /** Accessible name of the editor's text area. */
  ariaLabel: string;
  onRun(): void;
  onRunAndNext(): void;
  onStop(): void;
  /** Called after each change, with the whole code. */
  onChange?(code: string): void;
  /** Take the focus (a reader's click); false when the page restores saved edits at load. */
  focus?: boolean;
}

export interface EditorHandle {
  getValue(): string;
  setValue(code: string): void;
  focus(): void;
  dispose(): void;
}

const themeOf = () => (document.documentElement.dataset.theme === 'light' ? 'vs' : 'vs-dark');

/** The readable floor: Monaco accepts smaller sizes, which no reader can edit in. */
const MIN_FONT_PX = 12;
const FALLBACK_FONT_PX = 14;

/**
 * The code font size in px, as the browser resolves `--wb-code-font-size` (`.875rem` and the like)
 * here; parsing the variable's text would read `.875rem` as 0.875 px.
 */
function codeFontSizePx(container: HTMLElement): number {
  const probe = document.createElement('span');
  probe.style.fontSize = 'var(--wb-code-font-size)';
  probe.style.position = 'absolute';
  probe.style.visibility = 'hidden';
  container.append(probe);
  const size = parseFloat(getComputedStyle(probe).fontSize);
  probe.remove();
  return Number.isFinite(size) && size > 0 ? Math.max(size, MIN_FONT_PX) : FALLBACK_FONT_PX;
}

/** Creates an editor in `container`, sized to its content, caret placed and focused. */
export function createEditor(container: HTMLElement, options: EditorOptions): EditorHandle {
  const style = getComputedStyle(container);
  const editor = monaco.editor.create(container, {
    value: options.code,
    language: options.language,
    theme: themeOf(),
    automaticLayout: true,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    scrollbar: { alwaysConsumeMouseWheel: false, verticalScrollbarSize: 8, horizontalScrollbarSize: 8 },
    overviewRulerLanes: 0,
    lineNumbers: 'off',
    glyphMargin: false,
    folding: false,
    lineDecorationsWidth: 12,
    renderLineHighlight: 'none',
    fontSize: codeFontSizePx(container),
    fontFamily: style.getPropertyValue('--__sl-font-mono') || undefined,
    tabSize: options.language === 'python' ? 4 : 2,
    padding: { top: 12, bottom: 12 },
    ariaLabel: options.ariaLabel,
    accessibilitySupport: 'auto',
    fixedOverflowWidgets: true,
  });

  const fit = () => {
    container.style.height = `${Math.max(editor.getContentHeight(), 48)}px`;
  };
  editor.onDidContentSizeChange(fit);
  fit();

  // Cell shortcuts win over Monaco's own bindings, except while a widget (suggest, find) is open.
  const when = '!suggestWidgetVisible && !findWidgetVisible && !renameInputVisible';
  editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, options.onRun, when);
  editor.addCommand(monaco.KeyMod.Shift | monaco.KeyCode.Enter, options.onRunAndNext, when);
  editor.addCommand(monaco.KeyCode.Escape, options.onStop, when);

  const observer = new MutationObserver(() => monaco.editor.setTheme(themeOf()));
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });

  if (options.onChange) editor.onDidChangeModelContent(() => options.onChange!(editor.getValue()));

  editor.setPosition(options.position);
  if (options.focus !== false) {
    editor.revealPositionInCenterIfOutsideViewport(options.position);
    editor.focus();
  }
  if (options.typed) editor.trigger('keyboard', 'type', { text: options.typed });

  return {
    getValue: () => editor.getValue(),
    setValue: (code) => editor.setValue(code),
    focus: () => editor.focus(),
    dispose: () => {
      observer.disconnect();
      editor.dispose();
    },
  };
}
