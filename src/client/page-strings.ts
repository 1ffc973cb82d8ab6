/**
 * The UI strings the client needs at run time. The build writes them (in the page's locale)
 * into the `<workbook-session>` element's `data-strings`, so the client ships no dictionary.
 */
let cache: Record<string, string> | null = null;

function strings(): Record<string, string> {
  if (cache) return cache;
  const holder = document.querySelector<HTMLElement>('workbook-session[data-strings]');
  try {
    cache = JSON.parse(holder?.dataset.strings ?? '{}') as Record<string, string>;
  } catch {
    cache = {};
  }
  return cache;
}

/** A translated string with `{name}` placeholders filled; the key itself when missing. */
export function t(key: string, values: Record<string, string | number> = {}): string {
  const template = strings()[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
