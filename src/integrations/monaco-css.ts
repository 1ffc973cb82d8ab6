/**
 * Vite plugin: Monaco's CSS travels inside its (lazy) JavaScript instead of as page CSS.
 *
 * Monaco's modules import their own `.css` files. Astro collects every stylesheet reachable from
 * a page's scripts, dynamic imports included, into the page's <head>, so ~130 KB of editor CSS
 * would load on every chapter before anyone edits. Turned into modules that add a <style> when
 * they run, that CSS arrives with the editor and only then.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Plugin } from 'vite';

const PREFIX = '\0wb-monaco-css:';

export function monacoCssPlugin(): Plugin {
  return {
    name: 'socket-workbook:monaco-css',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.endsWith('.css') || !importer.includes('/monaco-editor/')) return null;
      if (importer.startsWith(PREFIX)) return null;
      // The id must not end in `.css`, or Vite's own CSS pipeline claims it.
      return PREFIX + resolve(dirname(importer.split('?')[0]), source) + '.js';
    },
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const file = id.slice(PREFIX.length, -'.js'.length);
      let css = await readFile(file, 'utf8');
      const imports: string[] = [];
      // Relative assets (the codicon font) become URL imports, so Vite emits and hashes them.
      css = css.replace(/url\((["']?)(\.{1,2}\/[^)"']+)\1\)/g, (_whole, _quote, path: string) => {
        const name = `asset${imports.length}`;
        imports.push(`import ${name} from ${JSON.stringify(resolve(dirname(file), path) + '?url')};`);
        return `url("__WB_${name}__")`;
      });
      const fill = imports.map((_, index) => `.replaceAll("__WB_asset${index}__", asset${index})`).join('');
      return `${imports.join('\n')}
const style = document.createElement('style');
style.dataset.monaco = ${JSON.stringify(file.split('/monaco-editor/')[1] ?? file)};
style.textContent = ${JSON.stringify(css)}${fill};
document.head.append(style);
`;
    },
  };
}
