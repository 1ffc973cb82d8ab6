/**
 * The browser client calls the session-scoped paths a router routes on (no body needed to find
 * the runner), and starts a new session once when the old one's runner is leaving or gone.
 * fetch is stubbed with a recorder that answers as the v1 API does.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { RunnerClient } from '../../src/client/runner-client.ts';

interface Call { method: string; url: string; body?: string }

function ndjson(lines: object[]): Response {
  return new Response(lines.map((line) => JSON.stringify(line) + '\n').join(''), { status: 200, headers: { 'content-type': 'application/x-ndjson' } });
}

/** Answers like one runner; `firstRunAnswer` replaces the answer to the first run request. */
function stubApi(firstRunAnswer?: () => Response): Call[] {
  const calls: Call[] = [];
  let sessions = 0;
  let runs = 0;
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    calls.push({ method, url, body: typeof init.body === 'string' ? init.body : undefined });
    if (method === 'POST' && url === '/api/sessions') return Response.json({ id: `s${++sessions}.r0` }, { status: 201 });
    const run = /^\/api\/sessions\/([^/]+)\/runs$/.exec(url);
    if (method === 'POST' && run) {
      if (runs++ === 0 && firstRunAnswer) return firstRunAnswer();
      return ndjson([{ type: 'start', run: `r${runs}.r0`, session: decodeURIComponent(run[1]) }, { type: 'stdout', data: 'hi\n' }, { type: 'exit', code: 0, signal: null, reason: 'exit', durationMs: 5 }]);
    }
    return new Response(null, { status: 204 });
  });
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe('runner client paths', () => {
  test('runs, stdin and stop go to /api/sessions/:id/runs...', async () => {
    const calls = stubApi();
    const client = new RunnerClient();
    let runId = '';
    const sent: Promise<void>[] = [];
    const exit = await client.run({
      language: 'python',
      code: 'print("hi")',
      onEvent: (event) => {
        if (event.type !== 'start') return;
        runId = event.run;
        sent.push(client.sendStdin(runId, { data: 'x\n' }), client.stop(runId));
      },
    });
    await Promise.all(sent);
    expect(exit.reason).toBe('exit');
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'POST /api/sessions',
      'POST /api/sessions/s1.r0/runs',
      `POST /api/sessions/s1.r0/runs/${runId}/stdin`,
      `DELETE /api/sessions/s1.r0/runs/${runId}`,
    ]);
    expect(JSON.parse(calls[1].body!)).not.toHaveProperty('session');
  });

  test.each(['draining', 'runner-unavailable'])('a 503 %s starts a new session and retries once', async (code) => {
    const calls = stubApi(() => Response.json({ error: { code, message: 'leaving' } }, { status: 503 }));
    const exit = await new RunnerClient().run({ language: 'python', code: 'print(1)', onEvent: () => {} });
    expect(exit.reason).toBe('exit');
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual(['POST /api/sessions', 'POST /api/sessions/s1.r0/runs', 'POST /api/sessions', 'POST /api/sessions/s2.r0/runs']);
  });

  test('another 503 is not retried', async () => {
    stubApi(() => Response.json({ error: { code: 'sandbox-unavailable', message: 'no sandbox' } }, { status: 503 }));
    await expect(new RunnerClient().run({ language: 'python', code: 'print(1)', onEvent: () => {} })).rejects.toMatchObject({ status: 503, code: 'sandbox-unavailable' });
  });
});
