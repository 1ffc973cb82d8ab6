// @ts-check
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';
import { unified } from '@astrojs/markdown-remark';
import { remarkCells } from './src/cells/remark-cells.ts';
import { remarkContentPath } from './src/cells/remark-content-path.ts';
import { runnerDevIntegration } from './src/integrations/runner-dev.ts';
import { monacoCssPlugin } from './src/integrations/monaco-css.ts';
import { precompressIntegration } from './src/integrations/precompress.ts';
import { quietBuildPlugin } from './src/integrations/quiet-build.ts';
import { translationSummaryIntegration } from './src/integrations/translation-summary.ts';
import { buildSidebar, contentDir, localeRootRedirects } from './src/site/sidebar.ts';
import { LOCALES } from './src/i18n/locales.ts';

// Chapters live in the top-level `content/` folder (see docs/site.md); WORKBOOK_CONTENT_DIR
// points the site at another folder (the end-to-end fixture, or another lesson set).
const chaptersDir = contentDir();
const docsDir = fileURLToPath(new URL('./src/content/docs', import.meta.url));
/** @param {string} locale */
const hasLandingPage = (locale) => ['index.mdx', 'index.md'].some((name) => existsSync(join(chaptersDir, locale, name)));


export default defineConfig({
  // The public address: Starlight needs it for the sitemap and the hreflang alternates in each
  // page's head. WORKBOOK_SITE_URL sets it for a deployment; the default is `npm run serve`'s.
  site: process.env.WORKBOOK_SITE_URL || 'http://127.0.0.1:4321',
  output: 'static',
  outDir: './dist',
  trailingSlash: 'always',
  // Starlight's language switcher and site title link to the locale roots (`/zh/`, `/en/`): a
  // locale without a landing page (content/<locale>/index.mdx) redirects to its first chapter.
  // Another locale without a landing page gets the default locale's, under the missing-translation
  // notice (Starlight's fallback), when there is one.
  redirects: localeRootRedirects(chaptersDir, LOCALES.map((l) => l.id).filter((id) => id === LOCALES[0].id || !hasLandingPage(LOCALES[0].id))),
  markdown: {
    // Astro 7 defaults to the Sätteri engine, which does not run remark plugins; the cell
    // plugin is a remark plugin shared with the content check, so MDX goes through unified.
    processor: unified({
      remarkPlugins: [
        [remarkCells, { contentDir: chaptersDir }],
        // Last of ours, before Starlight's: lets Starlight tell each chapter's language.
        [remarkContentPath, { contentDir: chaptersDir, docsDir }],
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
        // An en page that does not exist shows the zh page under this notice, linking to it.
        FallbackContentNotice: './src/components/TranslationNotice.astro',
      },
      // Pagefind (search) and the dark/light theme switch are Starlight defaults, kept on.
      pagefind: true,
      // src/pages/404.astro, in both languages (Starlight's looks for a chapter named 404).
      disable404Route: true,
    }),
    runnerDevIntegration(),
    translationSummaryIntegration(chaptersDir),
    // Last: compresses what the others wrote (Pagefind's index included).
    precompressIntegration(),
  ],
  vite: {
    plugins: [monacoCssPlugin(), quietBuildPlugin()],
    worker: { format: 'es' },
    build: {
      // The editor (Monaco, ~3.3 MB) is one chunk, loaded only when a reader edits a cell; what a
      // page loads before that is held to its budget (src/build/page-js-size.ts). A chunk larger
      // than the editor still warns.
      chunkSizeWarningLimit: 4096,
    },
  },
});
