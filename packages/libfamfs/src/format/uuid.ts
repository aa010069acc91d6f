import type * as Crypto from 'crypto';

/** famfs stores UUIDs as the 16 raw bytes in the order their text form prints them. */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuidText(s: string): boolean {
  return UUID_RE.test(s);
}

export function uuidToBytes(text: string): Buffer {
  if (!isUuidText(text)) throw new RangeError(`not a UUID: '${text}'`);
  return Buffer.from(text.replace(/-/g, ''), 'hex');
}

export function uuidToText(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function randomUuidBytes(): Buffer {
  // node:crypto is loaded here, when mkfs needs it, not by every famfs process that decodes a uuid.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return uuidToBytes((require('crypto') as typeof Crypto).randomUUID());
}
