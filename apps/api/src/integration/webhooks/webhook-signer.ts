import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** Random bytes of a new secret (Standard Webhooks: 24 to 64). */
export const SECRET_BYTES = 32;

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `v1,` + base64 of the
 * HMAC-SHA256 of `${id}.${timestamp}.${body}`, keyed with the base64-decoded secret after `whsec_`.
 */
export const WebhookSigner = {
  generateSecret(): string {
    return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
  },

  keyOf(secret: string): Buffer {
    if (!secret.startsWith(SECRET_PREFIX)) throw new Error('a webhook secret starts with whsec_');
    const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
    if (key.length < 24 || key.length > 64) throw new Error('a webhook secret holds 24 to 64 bytes');
    return key;
  },

  sign(secret: string, id: string, timestampSeconds: number, body: string): string {
    const mac = createHmac('sha256', WebhookSigner.keyOf(secret)).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
    return `v1,${mac}`;
  },

  headers(secret: string, id: string, timestampSeconds: number, body: string): SignedHeaders {
    return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': WebhookSigner.sign(secret, id, timestampSeconds, body) };
  },
};
