import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Paths come from this file's own location, so the build works from any working directory.
const uiRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/ui', import.meta.url));

/** The marketers' step analytics page: static files the API serves at /ui/. */
export default defineConfig({
  root: uiRoot,
  base: '/ui/',
  publicDir: false,
  clearScreen: false,
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
  },
});
