/**
 * Payloads encrypted before they reach Temporal (AES-256-GCM): tokens, hashed identifiers and
 * ad ids are unreadable in histories, and the Web UI decodes them only through the API's codec
 * endpoint. Each payload names the key that sealed it, so keys rotate: the newest key encrypts,
 * every listed key still decrypts.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { besideModule } from './module-path.js';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const { Payload: PayloadProto } = proto.temporal.api.common.v1;

export const ENCODING = 'binary/encrypted';
export const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface CodecKeys {
  /** Encrypts every new payload. */
  current: string;
  /** Key id → 32-byte key; old ids stay to read old histories. */
  keys: Record<string, Buffer>;
}

export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {
    for (const [id, key] of Object.entries(keys.keys)) {
      if (key.length !== 32) throw new Error(`codec key "${id}" must be 32 bytes (AES-256)`);
    }
    if (!keys.keys[keys.current]) throw new Error(`the current codec key "${keys.current}" is not among the keys`);
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return settle(() => payloads.map((p) => this.encrypt(p)));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return settle(() => payloads.map((p) => this.decrypt(p)));
  }

  private encrypt(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.keys[this.keys.current]!, iv);
    const plain = PayloadProto.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: Buffer.from(ENCODING), [KEY_ID]: Buffer.from(this.keys.current) },
      data: sealed,
    };
  }

  private decrypt(payload: Payload): Payload {
    if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== ENCODING) return payload;
    const id = Buffer.from(payload.metadata?.[KEY_ID] ?? []).toString();
    const key = this.keys.keys[id];
    if (!key) throw new Error(`no codec key "${id}" to decrypt this payload (was it rotated out?)`);
    const data = Buffer.from(payload.data ?? []);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    return PayloadProto.decode(plain);
  }
}

/** The result of `fn` as a promise, its throw as a rejection (the SDK awaits codecs). */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** Failure messages and stack traces travel as an encoded payload too (so the codec encrypts them). */
export const FAILURE_CONVERTER_PATH = besideModule(import.meta.url, './failure-converter');

/** The data converter of every client and worker of the service. */
export function dataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/**
 * The codec keys, from (in order) AUDIENCE_SYNC_CODEC_KEYS (`id:base64,…`, the first encrypts),
 * AUDIENCE_SYNC_CODEC_KEY_FILE (JSON `{ "current": id, "keys": { id: base64 } }`), or — in
 * sandbox mode only — `generatedFile`, created with a fresh key on first use.
 */
export async function loadCodecKeys(env: NodeJS.ProcessEnv, generatedFile?: string): Promise<CodecKeys> {
  if (env.AUDIENCE_SYNC_CODEC_KEYS) return parseKeyList(env.AUDIENCE_SYNC_CODEC_KEYS);
  if (env.AUDIENCE_SYNC_CODEC_KEY_FILE) return parseKeyFile(await readFile(env.AUDIENCE_SYNC_CODEC_KEY_FILE, 'utf8'));
  if (!generatedFile) {
    throw new Error('set AUDIENCE_SYNC_CODEC_KEYS or AUDIENCE_SYNC_CODEC_KEY_FILE (payload encryption keys)');
  }
  const existing = await readFile(generatedFile, 'utf8').catch(() => null);
  if (existing) return parseKeyFile(existing);
  const id = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  const file = { current: id, keys: { [id]: randomBytes(32).toString('base64') } };
  await mkdir(dirname(generatedFile), { recursive: true });
  await writeFile(generatedFile, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  return parseKeyFile(JSON.stringify(file));
}

export function parseKeyList(list: string): CodecKeys {
  const entries = list.split(',').map((e) => {
    const [id, b64] = e.trim().split(':');
    if (!id || !b64) throw new Error('AUDIENCE_SYNC_CODEC_KEYS must be id:base64key[,id:base64key…]');
    return [id, Buffer.from(b64, 'base64')] as const;
  });
  return { current: entries[0]![0], keys: Object.fromEntries(entries) };
}

function parseKeyFile(text: string): CodecKeys {
  const f = JSON.parse(text) as { current?: string; keys?: Record<string, string> };
  if (!f.current || !f.keys) throw new Error('the codec key file must hold { "current": id, "keys": { id: base64 } }');
  return {
    current: f.current,
    keys: Object.fromEntries(Object.entries(f.keys).map(([id, b64]) => [id, Buffer.from(b64, 'base64')])),
  };
}
