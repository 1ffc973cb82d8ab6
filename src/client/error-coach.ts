/**
 * The error coach: finds the socket errors a beginner meets in a run's output (Python tracebacks
 * and Node.js error dumps) and names, for each, the explanation to show (`coach.<key>` in
 * src/i18n/<locale>.json) and the chapter that teaches the fix. Pure: text in, entries out; the
 * cell renders them (cell-element.ts).
 */

export type CoachKey = 'refused' | 'in-use' | 'broken-pipe' | 'reset' | 'timeout' | 'name' | 'would-block';

export interface CoachEntry {
  key: CoachKey;
  /** Page path below the locale (`socket-failures` → `/<locale>/socket-failures/`). */
  chapter: string;
}

interface Rule extends CoachEntry {
  /** Matches the error's own line (Python's last traceback line, Node's `code:` or message). */
  pattern: RegExp;
}

/** In the order a reader should read them when several show up. */
const RULES: Rule[] = [
  { key: 'in-use', chapter: 'troubleshooting', pattern: /\[Errno 98\]|Address already in use|\bEADDRINUSE\b/ },
  { key: 'refused', chapter: 'socket-failures', pattern: /\bConnectionRefusedError\b|\[Errno 111\]|\bECONNREFUSED\b/ },
  { key: 'reset', chapter: 'socket-failures', pattern: /\bConnectionResetError\b|\[Errno 104\]|\bECONNRESET\b/ },
  { key: 'broken-pipe', chapter: 'socket-failures', pattern: /\bBrokenPipeError\b|\[Errno 32\]|\bEPIPE\b/ },
  { key: 'timeout', chapter: 'socket-failures', pattern: /\bTimeoutError\b|\bsocket\.timeout\b|\bETIMEDOUT\b/ },
  { key: 'name', chapter: 'names-addresses', pattern: /\bgaierror\b|\bENOTFOUND\b|\bEAI_AGAIN\b/ },
  { key: 'would-block', chapter: 'multi-connection', pattern: /\bBlockingIOError\b|\[Errno 11\]|\bEAGAIN\b|\bEWOULDBLOCK\b/ },
];

/** The coach entries for a run's output, each once, in the order of RULES. */
export function coachEntries(output: string): CoachEntry[] {
  return RULES.filter((rule) => rule.pattern.test(output)).map(({ key, chapter }) => ({ key, chapter }));
}
