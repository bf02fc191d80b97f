/**
 * The activities the worker registers, built from their dependencies (HTTP clients, config)
 * so tests can build them against the sandbox partners. Partner calls arrive here, one module
 * per partner under `activities/partners/<partner>/`.
 */
export type Activities = Record<string, never>;

export function createActivities(): Activities {
  return {};
}
