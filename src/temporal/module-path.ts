import { fileURLToPath } from 'node:url';

/**
 * The file `stem` (relative to `moduleUrl`) in the calling module's own language: `.ts` when
 * tsx runs the sources, `.js` once `npm run build` has compiled them.
 */
export function besideModule(moduleUrl: string, stem: string): string {
  return fileURLToPath(new URL(`${stem}${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl));
}
