/**
 * UI strings, flat JSON with dotted keys per locale (`src/i18n/<locale>.json`). The build
 * renders labels into the page; the browser client reads the few it needs from the page.
 */
import en from './en.json' with { type: 'json' };
import zh from './zh.json' with { type: 'json' };
import type { LocaleId } from './locales.ts';

export type StringKey = keyof typeof en;
export type Strings = Record<StringKey, string>;

export const STRINGS: Record<LocaleId, Strings> = { en, zh };

/** Fills `{name}` placeholders. */
export function format(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/** A translator for one locale. */
export function translator(locale: LocaleId) {
  const strings = STRINGS[locale];
  return (key: StringKey, values?: Record<string, string | number>) => format(strings[key], values);
}
