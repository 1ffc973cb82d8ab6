/**
 * Validation of request bodies (zod). Each failure becomes one RunnerError whose message names
 * the field and what to send instead.
 */
import { z } from 'zod';
import { LANGUAGES } from '../protocol.ts';
import type { Limits } from '../config.ts';
import { errors, RunnerError } from '../errors.ts';
import type { StartRunRequest } from '../sessions/session-manager.ts';

/** Limits of `args` and `files` (the design's: 64 strings in 4 KiB; 32 files). */
const MAX_ARGS = 64;
const MAX_ARGS_BYTES = 4096;
const MAX_FILES = 32;

const runRequestSchema = z.object({
  language: z.unknown(),
  code: z.string({ error: (issue) => (issue.input === undefined ? 'code is missing; send the program as a string' : 'code must be a string') }),
  session: z.string({ error: 'session must be a string (an id from POST /api/sessions)' }).optional(),
  stdin: z.string({ error: 'stdin must be a string' }).optional(),
  timeoutMs: z.number({ error: 'timeoutMs must be a number of milliseconds' }).int('timeoutMs must be a whole number').positive('timeoutMs must be positive').optional(),
  args: z.array(z.string({ error: 'each of args must be a string' }), { error: 'args must be an array of strings' }).max(MAX_ARGS, `args may hold at most ${MAX_ARGS} strings`).optional(),
  files: z.record(z.string(), z.string({ error: 'each file\'s content must be a string' }), { error: 'files must be an object of file name → content (strings)' }).optional(),
});


/** Why a file name is not a plain relative path inside the working directory, or null when it is. */
export function badFileName(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.startsWith('/')) return 'is absolute; give a name relative to the working directory';
  if (/[\0\\]/.test(name)) return 'contains a NUL byte or a backslash';
  const parts = name.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) return 'has an empty, "." or ".." part; give a plain relative name such as "greet.py" or "lib/util.mjs"';
  if (parts.some((part) => Buffer.byteLength(part) > 255)) return 'has a part longer than 255 bytes';
  return null;
}

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
  const { language, code, session, stdin, timeoutMs, args, files } = parsed.data;
  if (typeof language !== 'string' || !(LANGUAGES as readonly string[]).includes(language)) throw errors.unknownLanguage(language, LANGUAGES);
  const codeBytes = Buffer.byteLength(code);
  if (codeBytes > limits.maxCodeBytes) throw errors.tooLarge('code', codeBytes, limits.maxCodeBytes);
  if (stdin !== undefined) {
    const stdinBytes = Buffer.byteLength(stdin);
    if (stdinBytes > limits.maxStdinBytes) throw errors.tooLarge('stdin', stdinBytes, limits.maxStdinBytes);
  }
  if (args) {
    const argsBytes = args.reduce((sum, arg) => sum + Buffer.byteLength(arg), 0);
    if (argsBytes > MAX_ARGS_BYTES) throw errors.tooLarge('args', argsBytes, MAX_ARGS_BYTES);
    if (args.some((arg) => arg.includes('\0'))) throw errors.badRequest('Bad run request: an argument contains a NUL byte, which no program can receive.');
  }
  if (files) {
    const names = Object.keys(files);
    if (names.length > MAX_FILES) throw errors.badRequest(`Bad run request: files has ${names.length} entries; at most ${MAX_FILES}.`);
    for (const name of names) {
      const problem = badFileName(name);
      if (problem) throw errors.badRequest(`Bad run request: the file name ${JSON.stringify(name)} ${problem}.`);
      const bytes = Buffer.byteLength(files[name]);
      if (bytes > limits.maxCodeBytes) throw errors.tooLarge(`files[${JSON.stringify(name)}]`, bytes, limits.maxCodeBytes);
    }
    const total = Object.values(files).reduce((sum, content) => sum + Buffer.byteLength(content), 0);
    if (total > 4 * limits.maxCodeBytes) throw errors.tooLarge('files (all together)', total, 4 * limits.maxCodeBytes);
  }
  return { language: language as StartRunRequest['language'], code, session, stdin, timeoutMs, args, files };
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

/** A path segment (a session or run id) decoded; bad percent-encoding is a 400, not a crash. */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw errors.badRequest(`The path segment ${JSON.stringify(segment)} is not valid percent-encoding.`);
  }
}
