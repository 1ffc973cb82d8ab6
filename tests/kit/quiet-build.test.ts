/** The build drops only the one known-harmless bundler warning; every other reaches the log. */
import { expect, test } from 'vitest';
import { isKnownHarmless } from '../../src/integrations/quiet-build.ts';

const directive = (name: string, module: string) => ({
  code: 'MODULE_LEVEL_DIRECTIVE',
  message: `The semantics of the module level directive "${name}" in "${module}" may not be preserved when bundling.`,
});

test('Astro’s head-inject directive in an MDX page is dropped', () => {
  expect(isKnownHarmless(directive('use astro:head-inject', '../../content/zh/udp-demo.mdx?astroPropagatedAssets'))).toBe(true);
  expect(isKnownHarmless({ ...directive('use astro:head-inject', 'x'), id: '/site/content/en/a.mdx' })).toBe(true);
});

test.each([
  ['another directive', directive('use client', '../../content/zh/a.mdx')],
  ['the same directive in a script', directive('use astro:head-inject', 'src/client/boot.ts')],
  ['another warning', { code: 'CIRCULAR_DEPENDENCY', message: 'Circular dependency: a.mdx -> b.mdx -> a.mdx' }],
])('%s is kept', (_name, log) => {
  expect(isKnownHarmless(log)).toBe(false);
});
