/**
 * docker-compose.yml, the Dockerfile and the Temporal dynamic config, checked with a real YAML
 * parser: no Docker engine runs in CI, so this is what stands between a typo and a user whose
 * `docker compose up --build` (or `--scale worker=3`) does not come up.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TypedSearchAttributes } from '@temporalio/common';
import { parseDocument } from 'yaml';
import { createPartners } from '../../partners/registry.js';
import { codecRoutes } from '../../src/api/routes/codec.js';
import { loadConfig } from '../../src/config.js';
import { RATE_LIMIT_CONFIG } from '../../src/temporal/devserver.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../domain/search-attributes.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Parsed as Compose reads it: YAML 1.2 with `<<` merge keys; any error or warning fails. */
function parseYaml(text: string): any {
  const doc = parseDocument(text, { merge: true });
  expect(doc.errors.map((e) => e.message)).toEqual([]);
  expect(doc.warnings.map((e) => e.message)).toEqual([]);
  return doc.toJS();
}

const compose = parseYaml(read('docker-compose.yml'));
const services: Record<string, any> = compose.services;
const pkg = JSON.parse(read('package.json'));

/** Compose reads `$$` as a literal `$` (the file uses no interpolation: see below). */
const script = (service: any): string =>
  [service.entrypoint, service.command].flat().filter(Boolean).join('\n').replaceAll('$$', '$');

/** `environment` as a map (Compose also accepts a list of KEY=VALUE). */
function envOf(service: any): Record<string, string | null> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(
    env.map((e: string) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, null])),
  );
}

/** What the process sees: values as strings, a key without a value passed through from the shell (unset here). */
function processEnv(service: any): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(envOf(service))
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, String(v)]),
  );
}

/** Host port published for a container port, from the short syntax `[ip:]host:container`. */
function publishedPort(service: any, containerPort: number): number | undefined {
  for (const p of service.ports ?? []) {
    const parts = String(p).split(':');
    if (Number(parts.at(-1)) === containerPort) return Number(parts.at(-2));
  }
  return undefined;
}

/** The service whose image starts with `image`, exactly one. */
function byImage(image: string): [string, any] {
  const found = Object.entries(services).filter(([, s]) => String(s.image ?? '').startsWith(`${image}:`));
  expect(
    found.map(([name]) => name),
    image,
  ).toHaveLength(1);
  return found[0]!;
}

const [temporalName, temporal] = byImage('temporalio/server');
const [, postgres] = byImage('postgres');
const [, ui] = byImage('temporalio/ui');
const adminTools = Object.entries(services).filter(([, s]) =>
  String(s.image ?? '').startsWith('temporalio/admin-tools:'),
);
const [schemaName, schema] = adminTools.find(([, s]) => script(s).includes('temporal-sql-tool'))!;
const [initName, init] = adminTools.find(([, s]) => script(s).includes('search-attribute create'))!;
const api = services.api;
const worker = services.worker;
const apiConfig = loadConfig(processEnv(api));
const workerConfig = loadConfig(processEnv(worker));

/** `npm start` / `npm run X` → the package.json script it runs. */
function npmScript(command: string[]): string | undefined {
  if (command[0] !== 'npm') return undefined;
  if (command[1] === 'start' || command[1] === 'test') return pkg.scripts[command[1]];
  if (command[1] === 'run' && command[2]) return pkg.scripts[command[2]];
  return undefined;
}

describe('docker-compose.yml', () => {
  it('has every part of the cluster: PostgreSQL, schema setup, Temporal, search attributes, Web UI, API, workers', () => {
    expect(compose.name).toBe('audience-sync');
    for (const s of [postgres, schema, temporal, init, ui, api, worker]) expect(s).toBeDefined();
  });

  it('gives every service an image pinned to a version, or a build whose Dockerfile exists', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image ?? s.build, name).toBeTruthy();
      if (s.build) {
        const build = typeof s.build === 'string' ? { context: s.build } : s.build;
        expect(existsSync(join(root, build.context, build.dockerfile ?? 'Dockerfile')), name).toBe(true);
      } else {
        expect(s.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
        expect(s.image, name).not.toMatch(/:latest$/);
      }
    }
  });

  it('runs the schema tools of the server version it runs', () => {
    const version = temporal.image.split(':')[1];
    for (const [name, s] of adminTools) expect(s.image, name).toBe(`temporalio/admin-tools:${version}`);
  });

  it('uses no ${VAR} interpolation: every $ in a script is written $$', () => {
    const strings: string[] = [];
    const walk = (v: unknown) => {
      if (typeof v === 'string') strings.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(compose);
    for (const s of strings) expect(s.replaceAll('$$', ''), s).not.toContain('$');
  });

  it('waits only on services that can say so: health checks for service_healthy, one-shots for service_completed_successfully', () => {
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on)
        ? Object.fromEntries(s.depends_on.map((d: string) => [d, { condition: 'service_started' }]))
        : (s.depends_on ?? {});
      for (const [dep, { condition }] of Object.entries<any>(deps)) {
        const target = services[dep];
        expect(target, `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(target.healthcheck?.test, `${name} waits for ${dep} to be healthy`).toBeTruthy();
          expect(target.healthcheck.disable, dep).not.toBe(true);
        } else if (condition === 'service_completed_successfully') {
          expect(target.restart ?? 'no', `${dep} must exit for ${name} to start`).toMatch(/^(no|on-failure)/);
        } else {
          expect(condition, `${name} -> ${dep}`).toBe('service_started');
        }
      }
    }
    // The order the service needs: schema before the server, the server serving before the init,
    // the search attributes before the API, the API (and its sandbox partners) before workers.
    expect(temporal.depends_on[schemaName].condition).toBe('service_completed_successfully');
    expect(schema.depends_on.postgresql.condition).toBe('service_healthy');
    expect(init.depends_on[temporalName].condition).toBe('service_healthy');
    expect(api.depends_on[initName].condition).toBe('service_completed_successfully');
    expect(worker.depends_on.api.condition).toBe('service_healthy');
  });

  it('checks PostgreSQL with pg_isready and the API with GET /healthz', () => {
    expect(postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    const probe = api.healthcheck.test.join(' ');
    expect(probe).toContain(`http://127.0.0.1:${apiConfig.apiPort}/healthz`);
    expect(api.healthcheck.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
  });

  it('connects Temporal to the PostgreSQL service with the same credentials the schema setup uses', () => {
    const t = envOf(temporal);
    const p = envOf(postgres);
    expect(t.DB).toBe('postgres12');
    expect(services[String(t.POSTGRES_SEEDS)]).toBe(postgres);
    expect(t.POSTGRES_USER).toBe(p.POSTGRES_USER);
    expect(t.POSTGRES_PWD).toBe(p.POSTGRES_PASSWORD);
    expect(envOf(schema).SQL_PASSWORD).toBe(p.POSTGRES_PASSWORD);
    const setup = script(schema);
    expect(setup).toContain(`--ep ${String(t.POSTGRES_SEEDS)}`);
    expect(setup).toContain(`-u ${String(p.POSTGRES_USER)}`);
    for (const db of ['temporal', 'temporal_visibility']) {
      for (const step of ['create', 'setup-schema', 'update-schema']) expect(setup).toContain(`--db ${db} ${step}`);
    }
  });

  it('gives Temporal the dynamic config file on disk, which enables fairness like the dev server', () => {
    const path = String(envOf(temporal).DYNAMIC_CONFIG_FILE_PATH);
    const mount = (temporal.volumes as string[])
      .map((v) => v.split(':'))
      .find(([, target]) => path.startsWith(`${target}/`));
    expect(mount, `a volume holding ${path}`).toBeDefined();
    const [source, target] = mount!;
    const file = join(root, source!, posix.relative(target!, path));
    expect(existsSync(file), file).toBe(true);
    const config = parseYaml(readFileSync(file, 'utf8'));
    expect(config['matching.enableFairness']).toEqual([{ value: true }]);
    // Every value `npm start` gives its dev server (src/temporal/devserver.ts) is the cluster's too.
    for (const setting of RATE_LIMIT_CONFIG) {
      const [key, value] = setting.split('=') as [string, string];
      expect(config[key], key).toEqual([{ value: JSON.parse(value) }]);
    }
  });

  it('registers WorkspaceId, CanvasId, StepId, Partner and SyncState as Keyword on the default namespace, idempotently', () => {
    const steps = script(init);
    const added = [...steps.matchAll(/^\s*add (\w+) (\w+)\s*$/gm)].map((m) => [m[1], m[2]]);
    expect(added).toEqual([
      ['WorkspaceId', 'Keyword'],
      ['CanvasId', 'Keyword'],
      ['StepId', 'Keyword'],
      ['Partner', 'Keyword'],
      ['SyncState', 'Keyword'],
    ]);
    // The ones the workflows carry (a server refuses a workflow with an attribute it lacks).
    expect(added).toEqual(SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, TypedSearchAttributes.toMetadataType(k.type)]));
    expect(steps).toContain('search-attribute create --namespace default --name "$1" --type "$2"');
    expect(steps).toContain("*'already exists'*) ;;");
    expect(steps).toContain('temporal operator namespace create --namespace default');
    expect(steps).toContain('temporal operator cluster health');
    // It ends only once the frontend knows every one of them.
    const probe = steps.slice(steps.indexOf('workflow list'));
    for (const [name] of added) expect(probe).toContain(`${name} = ''`);
    expect(envOf(init).TEMPORAL_ADDRESS).toBe(`${temporalName}:7233`);
  });

  it("points the Web UI at Temporal and at the API's /codec endpoints, as the browser reaches them", () => {
    const env = envOf(ui);
    expect(env.TEMPORAL_ADDRESS).toBe(`${temporalName}:7233`);
    const endpoint = new URL(String(env.TEMPORAL_CODEC_ENDPOINT));
    expect(endpoint.origin).toBe(`http://localhost:${publishedPort(api, apiConfig.apiPort)}`);
    const routes = codecRoutes({
      codec: { encode: (p) => Promise.resolve(p), decode: (p) => Promise.resolve(p) },
      sandbox: true,
      uiOrigins: [],
    }).stack.map((l: any) => l.route?.path);
    expect(routes).toContain(`${endpoint.pathname}/decode`);
    expect(routes).toContain(`${endpoint.pathname}/encode`);
    // The API lets the UI's page call it (CORS), from the port the UI is published on.
    expect(publishedPort(ui, 8080)).toBeDefined();
    expect(apiConfig.uiOrigins).toContain(`http://localhost:${publishedPort(ui, 8080)}`);
  });

  it('runs the API against the Temporal service, reachable from the host', () => {
    expect(npmScript(api.command)).toBe(pkg.scripts['start:built']); // npm start, compiled
    expect(apiConfig.temporal).toMatchObject({
      address: `${temporalName}:7233`,
      embedded: false,
      namespace: 'default',
    });
    expect(apiConfig.host).toBe('0.0.0.0');
    expect(publishedPort(api, apiConfig.apiPort)).toBeDefined();
    expect(publishedPort(api, apiConfig.sandboxPort)).toBeDefined();
    expect(apiConfig.publicUrl).toBe(`http://localhost:${publishedPort(api, apiConfig.apiPort)}`);
  });

  it("sends browsers to the sandbox partners' consent pages on the published port", () => {
    const published = `http://localhost:${publishedPort(api, apiConfig.sandboxPort)}`;
    const viaCompose = createPartners({
      sandboxUrl: `http://${apiConfig.host}:${apiConfig.sandboxPort}`,
      env: processEnv(api),
    });
    const expected = createPartners({ sandboxUrl: published, env: {} });
    for (const [id, adapter] of Object.entries(expected)) {
      expect(viaCompose[id]?.authorizeUrl('s', 'r'), id).toBe(adapter.authorizeUrl('s', 'r'));
    }
  });

  it('runs workers that scale: no container name, no host port, the sandbox partners reached in the api service', () => {
    expect(npmScript(worker.command)).toBe(pkg.scripts['worker:built']); // npm run worker, compiled
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
    expect(worker.image).toBe(api.image);
    expect(worker.build).toEqual(api.build);
    expect(workerConfig.temporal).toMatchObject(apiConfig.temporal);
    const sandbox = new URL(String(envOf(worker).SANDBOX_URL));
    expect(services[sandbox.hostname]).toBe(api);
    expect(Number(sandbox.port)).toBe(apiConfig.sandboxPort);
    // The API's generated keys (the payload codec's among them) are read from the same volume.
    expect(worker.volumes).toEqual(api.volumes);
    // Docker's default 10 s would cut the drain short (requests, then partner calls: 10 s each).
    for (const s of [api, worker]) expect(parseInt(String(s.stop_grace_period), 10)).toBeGreaterThanOrEqual(25);
  });

  it('declares every named volume it mounts', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of (s.volumes ?? []) as string[]) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) expect(compose.volumes, name).toHaveProperty(source);
      }
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const all = (op: string) => instructions.filter((l) => l.startsWith(`${op} `)).map((l) => l.slice(op.length + 1));
  const runtime = instructions.slice(instructions.findLastIndex((l) => l.startsWith('FROM ')));

  it('builds on node:20-slim in stages and runs as a non-root user in production mode', () => {
    expect(all('FROM').length).toBeGreaterThan(1);
    for (const from of all('FROM')) expect(from).toMatch(/^node:20-slim\b/);
    expect(runtime.some((l) => /^USER (?!root\b)\S+/.test(l))).toBe(true);
    expect(runtime).toContain('ENV NODE_ENV=production');
  });

  it('installs with npm ci, skipping the postinstall that fetches Temporal binaries the container does not run', () => {
    const installs = all('RUN').filter((r) => r.includes('npm ci'));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install).toContain('--ignore-scripts');
    expect(pkg.scripts.postinstall).toContain('toolchain');
  });

  it('compiles the code every entry point imports, and starts the compiled scripts package.json has', () => {
    const copied = all('COPY').join('\n');
    for (const dir of ['src', 'activities', 'workflows']) expect(copied).toMatch(new RegExp(`^${dir} `, 'm'));
    expect(all('RUN')).toContain('npm run build');
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime).toContain('ENV AUDIENCE_SYNC_WORKFLOW_BUNDLE=/app/dist/workflows.bundle.js');
    expect(pkg.scripts.build).toContain('dist/workflows.bundle.js');
    const cmd = JSON.parse(all('CMD').at(-1)!);
    const scriptLine = npmScript(cmd);
    expect(scriptLine, cmd.join(' ')).toBeDefined();
    for (const command of [cmd, api.command, worker.command]) {
      // `node dist/<path>.js`, built from `<path>.ts`
      const built = npmScript(command)!
        .split(' ')
        .find((w) => w.startsWith('dist/') && w.endsWith('.js'))!;
      const source = built.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(join(root, source)), source).toBe(true);
    }
  });

  it("mounts the compose services' data volume where the image's DATA_DIR is", () => {
    const workdir = runtime
      .filter((l) => l.startsWith('WORKDIR '))
      .at(-1)!
      .slice('WORKDIR '.length);
    const dataDir = posix.join(workdir, envOf(api).DATA_DIR ?? '.data');
    for (const s of [api, worker]) expect((s.volumes as string[]).map((v) => v.split(':')[1])).toContain(dataDir);
  });

  it('is built from a context without node_modules, data, git or test artifacts', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const path of ['node_modules', '.data', '.git', 'coverage', 'test', '.env']) expect(ignored).toContain(path);
  });
});

describe('deploy/dynamicconfig', () => {
  const files = readdirSync(join(root, 'deploy/dynamicconfig')).filter((f) => /\.ya?ml$/.test(f));

  it('holds at least the file Temporal is given', () => {
    expect(files).toContain(posix.basename(String(envOf(temporal).DYNAMIC_CONFIG_FILE_PATH)));
  });

  it.each(files)('%s is dynamic config: each key a list of { value, constraints? }', (file) => {
    const config = parseYaml(read(`deploy/dynamicconfig/${file}`));
    expect(Object.keys(config).length).toBeGreaterThan(0);
    for (const [key, values] of Object.entries<any>(config)) {
      expect(key).toMatch(/^[a-z]+(\.[A-Za-z0-9]+)+$/);
      expect(Array.isArray(values) && values.length > 0, key).toBe(true);
      for (const v of values) {
        expect(
          Object.keys(v).every((k) => k === 'value' || k === 'constraints'),
          key,
        ).toBe(true);
        expect(v).toHaveProperty('value');
      }
    }
  });
});
