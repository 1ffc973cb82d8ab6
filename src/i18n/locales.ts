/** The site's locales: route prefix, HTML `lang`, and the label the language switcher shows. */
export interface Locale {
  /** Route prefix and content folder name (`/zh/...`, `content/zh/`). */
  id: 'zh' | 'en';
  /** BCP 47 tag for `<html lang>`. */
  lang: string;
  /** Name of the language in itself, for the switcher. */
  label: string;
}

export const LOCALES: readonly Locale[] = [
  { id: 'zh', lang: 'zh-CN', label: '简体中文' },
  { id: 'en', lang: 'en', label: 'English' },
];

export type LocaleId = Locale['id'];

export function isLocaleId(value: string): value is LocaleId {
  return LOCALES.some((locale) => locale.id === value);
}
