import type { BinarySpec } from './binaries.js';

/**
 * The SDK's own route: start its ephemeral server with `cached-download` into `dir`, then stop
 * it at once. Offline this fails within milliseconds (DNS), so trying it first costs nothing.
 */
export async function sdkDownload(spec: BinarySpec, dir: string): Promise<void> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const executable = { type: 'cached-download' as const, downloadDir: dir };
  const env =
    spec.kind === 'cli'
      ? await TestWorkflowEnvironment.createLocal({ server: { executable, ui: false } })
      : await TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
  await env.teardown();
}
