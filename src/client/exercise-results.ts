/**
 * The checker's output contract (docs/authoring.md, "Exercises"), read by the page and by the
 * content check alike. A checker prints, on stdout, one JSON object per line:
 *
 *     {"ready": true}                                       (client exercises: listening now)
 *     {"check": "<key>", "ok": true|false, "detail": "…"}   (one per check, in any order)
 *
 * Other lines are ignored. A check of checks.json that no line reports counts as failed (not
 * reached); a key checks.json does not list is reported apart (`unknown`), so a typo is seen.
 */

export interface CheckLine {
  check: string;
  ok: boolean;
  detail?: string;
}

export interface CheckResult {
  key: string;
  /** null: the checker never reported this check. */
  ok: boolean | null;
  detail?: string;
}

export interface Verdict {
  results: CheckResult[];
  passed: number;
  total: number;
  allPassed: boolean;
  /** Keys the checker reported that checks.json does not list. */
  unknown: string[];
}

function parseLine(line: string): Record<string, unknown> | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** True for the line a client exercise's checker prints once it listens. */
export function isReadyLine(line: string): boolean {
  return parseLine(line)?.ready === true;
}

/** The check lines in a checker's stdout, in order. */
export function checkLines(stdout: string): CheckLine[] {
  return stdout.split('\n').flatMap((line) => {
    const value = parseLine(line);
    if (!value || typeof value.check !== 'string' || typeof value.ok !== 'boolean') return [];
    return [{ check: value.check, ok: value.ok, ...(typeof value.detail === 'string' ? { detail: value.detail } : {}) }];
  });
}

/** Results for `keys` (checks.json's order): the last line about a key wins. */
export function verdictOf(stdout: string, keys: string[]): Verdict {
  const lines = checkLines(stdout);
  const byKey = new Map(lines.map((line) => [line.check, line]));
  const results = keys.map((key): CheckResult => {
    const line = byKey.get(key);
    return line ? { key, ok: line.ok, ...(line.detail !== undefined ? { detail: line.detail } : {}) } : { key, ok: null };
  });
  const passed = results.filter((result) => result.ok === true).length;
  const unknown = [...new Set(lines.map((line) => line.check).filter((key) => !keys.includes(key)))];
  return { results, passed, total: keys.length, allPassed: passed === keys.length, unknown };
}
