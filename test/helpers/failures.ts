import { ApplicationFailure } from '@temporalio/activity';
import { expect } from 'vitest';

/** The ApplicationFailure a partner call threw (failing the test if it threw anything else, or nothing). */
export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
