import { localRateGate, withRateGate } from '../../activities/rate-gate.js';

/**
 * `adapter` with each of its calls inside a rate gate (lanes of this process, `limit` a
 * second), as activities call adapters: a partner request outside any gate is refused.
 */
export function gated<T extends object>(adapter: T, limit = 1_000): T {
  const gate = localRateGate(limit);
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      // A call that sends nothing (a consent URL, say) returns as it is.
      return (...args: unknown[]) =>
        withRateGate(gate, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}
