/**
 * Guesses from a cell's code, shared by the build (remark-cells.ts) and the browser client, so
 * that both agree. Plain functions, no Node or DOM imports.
 */

/** Does this program read standard input (so the stdin box should show)? */
export function readsStdin(language: string, code: string): boolean {
  if (language === 'python') return /\binput\s*\(|\bsys\.stdin\b|\bfileinput\b/.test(code);
  return /\bprocess\.stdin\b|\breadline\b|\/dev\/stdin/.test(code);
}

/** Ports a server program binds, as far as a glance at its code tells (literal numbers only). */
export function serverPorts(code: string): Set<number> {
  const ports = new Set<number>();
  const patterns = [/\(\s*['"][^'"\n]*['"]\s*,\s*(\d{2,5})\s*\)/g, /\b(?:listen|bind)\(\s*(\d{2,5})\b/g];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) ports.add(Number(match[1]));
  return ports;
}
