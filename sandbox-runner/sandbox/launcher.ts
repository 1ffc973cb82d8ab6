/**
 * The programs that run inside a session's sandbox: the zygote (started once per session by
 * bubblewrap) and the run script it starts for every run. A run writes an end marker carrying a
 * nonce to stderr and (with the exit status) to stdout when its program ends: the marker tells
 * the runner that the program has ended and that all its output has been read (its stdio FIFOs
 * never report end-of-file, the runner holds them open). Pure: builds text, parses bytes.
 */
import { CELL_DIR, VARIANTS } from '../languages.ts';

/**
 * The shell of the zygote and of each run's shell, inside the sandbox: an execute-only copy of
 * the host's /bin/sh. The kernel marks a process that execs a file it cannot read non-dumpable,
 * so the reader's programs (same uid) cannot open these helpers' /proc/<pid>/mem to patch them.
 */
export const LAUNCHER_SHELL = '/usr/local/libexec/sh';

/**
 * One run, started ahead of its code by the zygote as `sh -c <this> run <seq>` with fd 3 on the
 * control channel: takes its stdio from the run's FIFOs, reports its pid (the runner then moves
 * it into the run's cgroup, off the run's critical path: a cgroup migration waits for an RCU
 * grace period), waits for `<variant> <nonce>` on stdin, runs the interpreter as its child, then
 * writes the end markers.
 */
export function runScript(): string {
  const arms = Object.values(VARIANTS).map((variant) => `${variant.name}) set -- ${variant.argv.join(' ')} "${CELL_DIR}/$seq/${variant.fileName}" ;;`);
  return [
    'seq=$1',
    // Open the FIFOs before reporting: once the runner has the report it may write the program's
    // line and close its end of `in`, and a FIFO no process holds open loses what it buffered.
    `exec <"${CELL_DIR}/$seq/in" >"${CELL_DIR}/$seq/out" 2>"${CELL_DIR}/$seq/err"`,
    'echo "$seq $$" >&3',
    'exec 3>&-',
    'IFS=" " read -r variant nonce argc files || exit 125',
    'case "$variant" in',
    ...arms,
    '*) exit 125 ;;',
    'esac',
    // Extra files the request brought, copied as the session's own uid (a symlink the reader
    // left in the working directory can only lead where that uid may write anyway).
    `if [ "$files" = 1 ]; then /usr/bin/cp -R "${CELL_DIR}/$seq/files/." . || exit 125; fi`,
    // Command-line arguments, one per line, bytes outside a safe set as \0NNN octal escapes.
    'i=0',
    'while [ "$i" -lt "${argc:-0}" ]; do',
    '  IFS= read -r line || exit 125',
    '  arg=$(printf "%bx" "$line")',
    '  set -- "$@" "${arg%x}"',
    '  i=$((i + 1))',
    'done',
    // A background job of a non-interactive shell starts with SIGINT ignored; the program gets
    // the default back, so Stop (SIGINT first) is Ctrl-C for it.
    '/usr/bin/env --default-signal=INT "$@"',
    'status=$?',
    'printf "\\0SW:%s\\0" "$nonce" >&2',
    'printf "\\0SW:%s:%s\\0" "$nonce" "$status"',
    'exit "$status"',
  ].join('\n');
}

/**
 * The zygote: the program bubblewrap starts once per session. It reads one run number per line
 * on stdin and starts that run's shell in the background, so a run costs a fork and an exec
 * inside the session's existing sandbox instead of a new sandbox.
 */
export function zygoteScript(): string {
  const run = runScript();
  if (run.includes("'")) throw new Error('the run script must not contain single quotes');
  return [
    `RUN='${run}'`,
    'while read -r seq; do',
    `  ${LAUNCHER_SHELL} -c "$RUN" run "$seq" 3>&1 </dev/null >/dev/null 2>&1 &`,
    'done',
  ].join('\n');
}

const SAFE_ARG_BYTE = /^[A-Za-z0-9._\/=:,+@-]$/;

/** One argument as a line the run script decodes with `printf %b` (no shell quoting involved). */
export function encodeArgument(arg: string): string {
  let line = '';
  for (const byte of Buffer.from(arg, 'utf8')) {
    const char = String.fromCharCode(byte);
    line += SAFE_ARG_BYTE.test(char) ? char : `\\0${byte.toString(8).padStart(3, '0')}`;
  }
  return line;
}

/**
 * What the runner sends a waiting run (on its stdin) to start its program: the variant, the
 * nonce, how many arguments follow (one encoded line each), and whether extra files wait in
 * the run's `files/` folder.
 */
export function launchLine(variantName: string, nonce: string, args: readonly string[] = [], hasFiles = false): string {
  return `${variantName} ${nonce} ${args.length} ${hasFiles ? 1 : 0}\n${args.map((arg) => encodeArgument(arg) + '\n').join('')}`;
}

/**
 * Finds the end marker in one output stream, passing everything before it through. Bytes that
 * could be the start of a marker split across chunks are held back until the next chunk.
 */
export class EndMarkerScanner {
  private readonly prefix: Buffer;
  private held: Buffer = Buffer.alloc(0);
  /** Text after the marker's prefix, until its closing NUL; null while no marker is open. */
  private trailer: string | null = null;
  /** Set once the marker has been seen: the status (stdout) or '' (stderr). */
  ended: string | null = null;

  constructor(nonce: string) {
    this.prefix = Buffer.from(`\0SW:${nonce}`);
  }

  /** Returns the bytes of user output in this chunk (possibly empty). */
  push(chunk: Buffer): Buffer {
    if (this.ended !== null) return Buffer.alloc(0);
    if (this.trailer !== null) return this.finishTrailer(chunk.toString('latin1'));
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    const at = data.indexOf(this.prefix);
    if (at >= 0) {
      this.trailer = '';
      this.finishTrailer(data.subarray(at + this.prefix.length).toString('latin1'));
      return data.subarray(0, at);
    }
    // Hold back a tail that is a proper prefix of the marker.
    for (let keep = Math.min(this.prefix.length - 1, data.length); keep > 0; keep--) {
      if (data.subarray(data.length - keep).equals(this.prefix.subarray(0, keep))) {
        this.held = Buffer.from(data.subarray(data.length - keep));
        return data.subarray(0, data.length - keep);
      }
    }
    return data;
  }

  /** Output held back when the stream ended without a marker. */
  flush(): Buffer {
    const rest = this.held;
    this.held = Buffer.alloc(0);
    return rest;
  }

  private finishTrailer(text: string): Buffer {
    // After the prefix: `\0` (stderr) or `:<status>\0` (stdout).
    this.trailer = (this.trailer ?? '') + text;
    const end = this.trailer.indexOf('\0');
    if (end >= 0) {
      const body = this.trailer.slice(0, end);
      this.ended = body.startsWith(':') ? body.slice(1) : '';
      this.trailer = null;
    }
    return Buffer.alloc(0);
  }
}
