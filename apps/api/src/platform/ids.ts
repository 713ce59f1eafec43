import { hash } from 'node:crypto';

/** Namespace of the service's name-based ids (a fixed random UUID). */
export const SROI_NAMESPACE = '6f1f2d0e-4a52-4c1e-9d1b-7a3c5e9b2f10';

/** The namespaces' 16 bytes: the callers' handful of constant namespaces. */
const namespaceBytes = new Map<string, Buffer>();

/**
 * RFC 9562 UUIDv5 (SHA-1, name-based): the same name gives the same id, in every process. One
 * call of the one-shot `hash` on a single buffer: a public event's id is made once for each of
 * them, and a Hash object with two updates took 3.0-3.3x as long (`npm run bench:ids`).
 */
export function uuidv5(name: string, namespace: string = SROI_NAMESPACE): string {
  let ns = namespaceBytes.get(namespace);
  if (ns === undefined) {
    ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
    if (namespaceBytes.size < 64) namespaceBytes.set(namespace, ns);
  }
  const h = hash('sha1', Buffer.concat([ns, Buffer.from(name, 'utf8')]), 'hex');
  // version 5 in the 13th hex digit; the variant's two bits (10) atop the 17th
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
