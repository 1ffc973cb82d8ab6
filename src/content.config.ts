/**
 * Content collections. Starlight's `docs` collection reads the chapters from the top-level
 * `content/` folder (`content/<locale>/<slug>.mdx`), not from src/content/docs: the chapters are
 * the project's main artefact and are checked by their own suite, so they live beside src/.
 */
import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { docsSchema, i18nSchema } from '@astrojs/starlight/schema';
import { i18nLoader } from '@astrojs/starlight/loaders';
import { contentDir } from './site/sidebar.ts';

export const collections = {
  docs: defineCollection({
    loader: glob({
      base: contentDir(),
      pattern: '**/[^_]*.{md,mdx}',
      // Ids are the file paths as written (`en/methods/connect_ex`), so a route never depends
      // on how a slugger treats underscores or capitals.
      generateId: ({ entry }) => entry.replace(/\.mdx?$/, ''),
    }),
    schema: docsSchema(),
  }),
  // Starlight's own UI strings where its built-in Chinese has none (the search box's Pagefind
  // labels): src/content/i18n/<lang>.json.
  i18n: defineCollection({ loader: i18nLoader(), schema: i18nSchema() }),
};
