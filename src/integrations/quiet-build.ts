/**
 * Vite plugin: drops the one bundler warning that is known to be harmless, so that a build
 * that prints a warning has something to fix.
 *
 * Astro's MDX compiler starts every page module with the directive `"use astro:head-inject"`,
 * which Astro reads before bundling; Rolldown then reports, once per page, that it may not keep
 * that directive (`MODULE_LEVEL_DIRECTIVE`). Only that directive in those modules is dropped:
 * any other directive, or the same code from another module, still reaches the log.
 */
import type { Plugin } from 'vite';

const ASTRO_DIRECTIVE = '"use astro:head-inject"';

/** A log as Rolldown gives it to `onLog`; only the fields looked at here. */
export interface BundlerLog {
  code?: string;
  message: string;
  id?: string;
}

export function isKnownHarmless(log: BundlerLog): boolean {
  if (log.code !== 'MODULE_LEVEL_DIRECTIVE' || !log.message.includes(ASTRO_DIRECTIVE)) return false;
  const where = log.id ?? log.message;
  return /\.mdx?(\?|"|$)/.test(where);
}

export function quietBuildPlugin(): Plugin {
  return {
    name: 'socket-workbook:quiet-build',
    onLog(_level, log) {
      if (isKnownHarmless(log)) return false;
    },
  };
}
