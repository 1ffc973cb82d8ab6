/**
 * Validation of request bodies (zod). Each failure becomes one RunnerError whose message names
 * the field and what to send instead.
 */
import { z } from 'zod';
import { LANGUAGES } from '../protocol.ts';
import type { Limits } from '../config.ts';
import { errors, RunnerError } from '../errors.ts';
import type { StartRunRequest } from '../sessions/session-manager.ts';

const runRequestSchema = z.object({
  language: z.unknown(),
  code: z.string({ error: (issue) => (issue.input === undefined ? 'code is missing; send the program as a string' : 'code must be a string') }),
  session: z.string({ error: 'session must be a string (an id from POST /api/sessions)' }).optional(),
  stdin: z.string({ error: 'stdin must be a string' }).optional(),
  timeoutMs: z.number({ error: 'timeoutMs must be a number of milliseconds' }).int('timeoutMs must be a whole number').positive('timeoutMs must be positive').optional(),
});

const stdinRequestSchema = z.union([
  z.object({ data: z.string({ error: 'data must be a string' }) }).strict(),
  z.object({ eof: z.literal(true, { error: 'eof must be true' }) }).strict(),
], { error: 'send {"data": "text"} or {"eof": true}' });

function firstProblem(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      return path && !issue.message.startsWith(path) ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw errors.invalidJson((error as Error).message);
  }
}

function requireObject(body: unknown): asserts body is Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest('The body must be a JSON object.');
}

export function parseRunRequest(body: unknown, limits: Limits): StartRunRequest {
  requireObject(body);
  if (body.language === undefined) throw errors.badRequest(`language is missing; use one of: ${LANGUAGES.join(', ')}.`);
  const parsed = runRequestSchema.safeParse(body);
  if (!parsed.success) throw errors.badRequest(`Bad run request: ${firstProblem(parsed.error)}.`);
  const { language, code, session, stdin, timeoutMs } = parsed.data;
  if (typeof language !== 'string' || !(LANGUAGES as readonly string[]).includes(language)) throw errors.unknownLanguage(language, LANGUAGES);
  const codeBytes = Buffer.byteLength(code);
  if (codeBytes > limits.maxCodeBytes) throw errors.tooLarge('code', codeBytes, limits.maxCodeBytes);
  if (stdin !== undefined) {
    const stdinBytes = Buffer.byteLength(stdin);
    if (stdinBytes > limits.maxStdinBytes) throw errors.tooLarge('stdin', stdinBytes, limits.maxStdinBytes);
  }
  return { language: language as StartRunRequest['language'], code, session, stdin, timeoutMs };
}

export function parseStdinRequest(body: unknown, limits: Limits): { data: string } | { eof: true } {
  requireObject(body);
  const parsed = stdinRequestSchema.safeParse(body);
  if (!parsed.success) throw errors.badRequest(`Bad stdin request (${firstProblem(parsed.error)}): send {"data": "text"} or {"eof": true}.`);
  if ('data' in parsed.data) {
    const bytes = Buffer.byteLength(parsed.data.data);
    if (bytes > limits.maxStdinBytes) throw errors.tooLarge('data', bytes, limits.maxStdinBytes);
  }
  return parsed.data;
}

export { RunnerError };
