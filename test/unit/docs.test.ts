/**
 * The repository's documentation stays inside the repository and true to the code.
 *
 * Convention in docs/api.md (what the drift test parses): every operation the service or the
 * sandbox serves is a level-3 heading holding one code span, `METHOD /path`, with path
 * parameters written `:name`, for example
 *
 *   ### `GET /v1/canvases/:canvasId/steps/:stepId`
 *
 * Headings under `/_sandbox/` are the sandbox's control endpoints: they are not in the OpenAPI
 * document and are checked against the routes of src/sandbox/server.ts instead. The few service
 * paths served outside the OpenAPI document are listed in OUTSIDE_OPENAPI below. Any other code
 * span in docs/api.md that starts with a method and a path must name one of these operations.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/api/contract.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Served by the API but not described in openapi.json (see docs/api.md, "Outside the OpenAPI document"). */
const OUTSIDE_OPENAPI = ['GET /metrics', 'GET /ui/'];
const SANDBOX_PREFIX = '/_sandbox/';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** `METHOD /path` with `{param}` written `:param` and no query string. */
const operation = (method: string, path: string) =>
  `${method.toUpperCase()} ${path.split('?')[0]!.replace(/\{(\w+)\}/g, ':$1')}`;

/** Every file git knows of or would add (tracked, and untracked but not ignored). */
function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  return [...new Set(out.split('\0').filter(Boolean))];
}

/** Binary files (a NUL byte in their first 8 KB, as git decides) are skipped. */
const isBinary = (bytes: Buffer) => bytes.subarray(0, 8_000).includes(0);

describe('documentation', () => {
  it('no file in the repository refers to the reference folder outside it', () => {
    // Built from parts, so this file does not contain what it looks for.
    const needle = ['..', 'shared'].join('/');
    const offenders: string[] = [];
    for (const file of repositoryFiles()) {
      const path = join(root, file);
      if (!existsSync(path) || !statSync(path).isFile()) continue; // deleted in the work tree, or a link
      const bytes = readFileSync(path);
      if (isBinary(bytes)) continue;
      bytes
        .toString('utf8')
        .split('\n')
        .forEach((line, i) => {
          if (line.includes(needle)) offenders.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
        });
    }
    expect(offenders).toEqual([]);
  });

  describe('docs/api.md and openapi.json', () => {
    const doc = read('docs/api.md');
    const headings = [...doc.matchAll(/^### `([A-Z]+) (\/[^`\s]*)`\s*$/gm)].map((m) => operation(m[1]!, m[2]!));
    const openApi = Object.entries(openApiDocument().paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => operation(method, path)),
    );
    const sandbox = [...read('src/sandbox/server.ts').matchAll(/\br\.(get|post|put|patch|delete)\(\s*'([^']+)'/g)].map(
      (m) => operation(m[1]!, `/_sandbox${m[2]!}`),
    );
    const service = headings.filter((h) => !h.split(' ')[1]!.startsWith(SANDBOX_PREFIX));

    it('lists each operation once', () => {
      expect(headings.filter((h, i) => headings.indexOf(h) !== i)).toEqual([]);
      expect(headings.length).toBeGreaterThan(0);
    });

    it('documents every operation of the OpenAPI document', () => {
      expect(openApi.length).toBeGreaterThan(0);
      expect(openApi.filter((op) => !service.includes(op))).toEqual([]);
    });

    it('documents no operation that the OpenAPI document lacks (beyond the ones served outside it)', () => {
      expect(service.filter((op) => !openApi.includes(op) && !OUTSIDE_OPENAPI.includes(op))).toEqual([]);
      expect(OUTSIDE_OPENAPI.filter((op) => !service.includes(op))).toEqual([]);
    });

    it("documents exactly the sandbox's control endpoints", () => {
      expect(sandbox.length).toBeGreaterThan(0);
      const documented = headings.filter((h) => h.split(' ')[1]!.startsWith(SANDBOX_PREFIX));
      expect([...documented].sort()).toEqual([...sandbox].sort());
    });

    it('names only documented operations in its text', () => {
      const spans = [...doc.matchAll(new RegExp(`\`(${METHODS.join('|')}) (/[^\`\\s]*)\``, 'g'))].map((m) =>
        operation(m[1]!, m[2]!),
      );
      expect(spans.filter((op) => !headings.includes(op))).toEqual([]);
    });
  });

  it('links only to files and headings that exist', () => {
    const pages = ['README.md', 'docs/architecture.md', 'docs/api.md', 'docs/partners.md', 'docs/operations.md'];
    /** GitHub's heading anchors: lowercase, punctuation dropped, spaces as hyphens. */
    const anchors = (text: string) =>
      new Set(
        [...text.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
          m[1]!
            .trim()
            .toLowerCase()
            .replace(/[^\p{L}\p{N} _-]/gu, '')
            .replace(/ /g, '-'),
        ),
      );
    const broken: string[] = [];
    for (const page of pages) {
      const text = read(page);
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // a URL
        const [file, anchor] = target!.split('#') as [string, string | undefined];
        const path = file ? normalize(join(dirname(page), file)) : page;
        if (!existsSync(join(root, path))) broken.push(`${page}: ${target}`);
        else if (anchor && path.endsWith('.md') && !anchors(read(path)).has(anchor)) broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
