/**
 * The output area of a cell: stdout and stderr appended as they stream in, told apart by class,
 * with ANSI colours (SGR) rendered through anser. Each stream keeps its own colour state, and an
 * escape sequence split across two chunks is held back until it is complete.
 */
import Anser from 'anser';

type StreamName = 'stdout' | 'stderr';

interface StreamState {
  anser: Anser;
  /** An unfinished escape sequence at the end of the last chunk. */
  pending: string;
}

/** An ESC that starts a sequence which has not ended by the end of the text. */
const UNFINISHED_ESCAPE = /\u001b(?:\[[0-9;?]*)?$/;
/** Escape sequences other than SGR colours (cursor moves, clears): dropped. */
const NON_SGR = /\u001b\[[0-9;?]*[A-Za-ln-z]/g;

export class OutputView {
  private streams: Record<StreamName, StreamState> = {
    stdout: { anser: new Anser(), pending: '' },
    stderr: { anser: new Anser(), pending: '' },
  };

  constructor(private readonly element: HTMLElement) {}

  clear(): void {
    this.element.replaceChildren();
    for (const name of ['stdout', 'stderr'] as const) this.streams[name] = { anser: new Anser(), pending: '' };
  }

  get text(): string {
    return this.element.textContent ?? '';
  }

  /** True when nothing a program printed is shown (empty, or only the runner's own notes). */
  get isOnlyNotes(): boolean {
    return [...this.element.children].every((child) => child.classList.contains('wb-note'));
  }

  append(stream: StreamName, data: string): void {
    const state = this.streams[stream];
    let text = state.pending + data;
    const unfinished = UNFINISHED_ESCAPE.exec(text);
    state.pending = unfinished ? unfinished[0] : '';
    if (unfinished) text = text.slice(0, unfinished.index);
    if (!text) return;
    text = text.replace(NON_SGR, '');
    const chunks = state.anser.ansiToJson(text, { use_classes: true, remove_empty: true });
    for (const chunk of chunks) {
      const classes = [`wb-${stream}`];
      if (chunk.fg) classes.push(`${chunk.fg}-fg`);
      if (chunk.bg) classes.push(`${chunk.bg}-bg`);
      for (const decoration of chunk.decorations ?? []) classes.push(`ansi-${decoration}`);
      const style = [
        chunk.fg_truecolor ? `color: rgb(${chunk.fg_truecolor})` : '',
        chunk.bg_truecolor ? `background-color: rgb(${chunk.bg_truecolor})` : '',
      ].filter(Boolean).join(';');
      this.appendSpan(classes.join(' '), style, chunk.content);
    }
    this.scrollToEnd();
  }

  /** Input the reader sent, echoed the way a terminal would show it. */
  appendEcho(text: string): void {
    this.appendSpan('wb-echo', '', text);
    this.scrollToEnd();
  }

  /** A line of the runner's own (not the program's) messages, such as a failed start. */
  appendNote(text: string): void {
    this.appendSpan('wb-note', '', text.endsWith('\n') ? text : `${text}\n`);
    this.scrollToEnd();
  }

  private appendSpan(className: string, style: string, content: string): void {
    const last = this.element.lastElementChild as HTMLElement | null;
    // Consecutive output of the same look goes into one span: long outputs stay cheap.
    if (last && last.className === className && (last.getAttribute('style') ?? '') === style) {
      last.append(content);
      return;
    }
    const span = document.createElement('span');
    span.className = className;
    if (style) span.setAttribute('style', style);
    span.textContent = content;
    this.element.append(span);
  }

  private scrollToEnd(): void {
    this.element.scrollTop = this.element.scrollHeight;
  }
}
