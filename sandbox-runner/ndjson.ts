/**
 * Reads a run's NDJSON stream as events. Shared by the browser client, the content check and
 * the runner's tests; browser-safe (no Node imports). Lines that are not JSON are skipped.
 */
import type { RunEvent } from './protocol.ts';

export function runEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<RunEvent> {
  return ndjsonValues<RunEvent>(body);
}

/** Any NDJSON stream's values (a run's events, a session's wire packets). */
export async function* ndjsonValues<T>(body: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const parse = (line: string): T | undefined => {
    if (!line.trim()) return undefined;
    try {
      return JSON.parse(line) as T;
    } catch {
      return undefined;
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const event = parse(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        if (event) yield event;
      }
    }
    const last = parse(buffer + decoder.decode());
    if (last) yield last;
  } finally {
    reader.releaseLock();
  }
}
