/**
 * Loaded by path into clients, workers and the workflow bundle: failure messages and stack
 * traces are moved into an encoded payload, which the payload codec then encrypts (a partner's
 * error text can name a user or an ad account).
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
