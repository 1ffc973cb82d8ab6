/**
 * The launcher: the small shell program bubblewrap starts in every prepared sandbox. It waits
 * for one line on stdin (`<variant> <nonce>`), runs that variant's interpreter as its child,
 * then writes an end marker carrying the nonce to stderr and (with the exit status) to stdout.
 *
 * The markers tell the runner that the program has ended and that all of its output has been
 * read, without waiting for bubblewrap to tear down the sandbox's namespaces, which takes the
 * kernel RCU grace periods (tens of milliseconds under load). Pure: builds text, parses bytes.
 */
import { VARIANTS } from '../languages.ts';

/** The script, one `case` arm per language variant. */
export function launcherScript(): string {
  const arms = Object.values(VARIANTS).map((variant) => `${variant.name}) set -- ${variant.argv.map((arg) => `'${arg}'`).join(' ')} ;;`);
  return [
    'IFS=" " read -r variant nonce || exit 125',
    'case "$variant" in',
    ...arms,
    '*) exit 125 ;;',
    'esac',
    '"$@"',
    'status=$?',
    `printf '\\0SW:%s\\0' "$nonce" >&2`,
    `printf '\\0SW:%s:%s\\0' "$nonce" "$status"`,
    'exit "$status"',
  ].join('\n');
}

/** What the runner sends the launcher to start a variant. */
export function launchLine(variantName: string, nonce: string): string {
  return `${variantName} ${nonce}\n`;
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
