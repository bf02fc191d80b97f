/**
 * The analytics page (ui/, built by Vite into dist/ui) as the API serves it at /ui/. A checkout
 * builds it when it is missing or older than its sources, so `npm install && npm start` serves
 * the current page; an image (no ui/ sources, no Vite) serves what `npm run build` made.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or image) root: the nearest folder above this module with a package.json. */
function rootDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('no package.json above src/ui/assets');
  }
}

export const UI_SOURCE_DIR = join(rootDir(), 'ui');
export const UI_DIST_DIR = join(rootDir(), 'dist', 'ui');

/** The newest modification time under `dir` (ms), 0 when it does not exist. */
async function newest(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  let latest = 0;
  for (const e of entries) {
    if (!e.isFile()) continue;
    latest = Math.max(latest, (await stat(join(e.parentPath, e.name))).mtimeMs);
  }
  return latest;
}

/**
 * Builds the page when its sources are newer than the build (or there is none) and returns the
 * folder to serve, or null (with the reason logged) when there is neither a build nor a way to make one.
 */
export async function ensureUiBuilt(log: (line: string) => void = () => {}): Promise<string | null> {
  const index = join(UI_DIST_DIR, 'index.html');
  const built = existsSync(index) ? (await stat(index)).mtimeMs : 0;
  if (!existsSync(UI_SOURCE_DIR)) {
    if (built) return UI_DIST_DIR;
    log('the analytics page is not built (no ui/ sources here): /ui/ answers 404');
    return null;
  }
  if (built && built >= (await newest(UI_SOURCE_DIR))) return UI_DIST_DIR;
  try {
    const vite = await import('vite');
    await vite.build({ configFile: join(UI_SOURCE_DIR, 'vite.config.ts'), logLevel: 'warn' });
    return UI_DIST_DIR;
  } catch (err) {
    log(`could not build the analytics page (npm run build:ui): ${err instanceof Error ? err.message : String(err)}`);
    return built ? UI_DIST_DIR : null;
  }
}
