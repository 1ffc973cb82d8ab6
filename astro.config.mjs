// @ts-check
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';
import { unified } from '@astrojs/markdown-remark';
import { remarkCells } from './src/cells/remark-cells.ts';
import { remarkContentPath } from './src/cells/remark-content-path.ts';
import { runnerDevIntegration } from './src/integrations/runner-dev.ts';
import { monacoCssPlugin } from './src/integrations/monaco-css.ts';
import { precompressIntegration } from './src/integrations/precompress.ts';
import { buildSidebar, contentDir, localeRootRedirects } from './src/site/sidebar.ts';
import { LOCALES } from './src/i18n/locales.ts';

// Chapters live in the top-level `content/` folder (see docs/site.md); WORKBOOK_CONTENT_DIR
// points the site at another folder (the end-to-end fixture, or another lesson set).
const chaptersDir = contentDir();

export default defineConfig({
  // The public address: Starlight needs it for the sitemap and the hreflang alternates in each
  // page's head. WORKBOOK_SITE_URL sets it for a deployment; the default is `npm run serve`'s.
  site: process.env.WORKBOOK_SITE_URL || 'http://127.0.0.1:4321',
  output: 'static',
  outDir: './dist',
  trailingSlash: 'always',
  // Starlight's language switcher and site title link to the locale roots (`/zh/`, `/en/`): a
  // locale without a landing page (content/<locale>/index.mdx) redirects to its first chapter.
  redirects: localeRootRedirects(chaptersDir, LOCALES.map((l) => l.id)),
  markdown: {
    // Astro 7 defaults to the Sätteri engine, which does not run remark plugins; the cell
    // plugin is a remark plugin shared with the content check, so MDX goes through unified.
    processor: unified({
      remarkPlugins: [
        [remarkCells, { contentDir: chaptersDir }],
        // Last of ours, before Starlight's: lets Starlight tell each chapter's language.
        [remarkContentPath, { contentDir: chaptersDir, docsDir: fileURLToPath(new URL('./src/content/docs', import.meta.url)) }],
      ],
    }),
  },
  integrations: [
    starlight({
      title: { en: 'Socket Workbook', 'zh-CN': 'Socket 练习册' },
      description: 'An interactive workbook on network sockets: every example runs.',
      defaultLocale: 'zh',
      locales: Object.fromEntries(LOCALES.map((l) => [l.id, { label: l.label, lang: l.lang }])),
      sidebar: buildSidebar(chaptersDir),
      markdown: { processedDirs: [chaptersDir] },
      customCss: ['./src/styles/cells.css', './src/styles/exercise.css'],
      components: {
        MarkdownContent: './src/components/MarkdownContent.astro',
      },
      // Pagefind (search) and the dark/light theme switch are Starlight defaults, kept on.
      pagefind: true,
    }),
    runnerDevIntegration(),
    // Last: compresses what the others wrote (Pagefind's index included).
    precompressIntegration(),
  ],
  vite: {
    plugins: [monacoCssPlugin()],
    worker: { format: 'es' },
  },
});
