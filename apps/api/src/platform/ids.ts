import { createHash } from 'node:crypto';

/** Namespace of the service's name-based ids (a fixed random UUID). */
export const SROI_NAMESPACE = '6f1f2d0e-4a52-4c1e-9d1b-7a3c5e9b2f10';

/** RFC 9562 UUIDv5 (SHA-1, name-based): the same name gives the same id, in every process. */
export function uuidv5(name: string, namespace: string = SROI_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
