import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';

interface LookupOptions {
  all?: boolean;
  family?: number | string;
}

/** One resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (injectable so tests need no DNS). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) => {
  const all = await dnsLookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** What an address is, for the policy: only `public` is always allowed; `loopback` only when configured. */
export type AddressClass = { kind: 'public' } | { kind: 'loopback' } | { kind: 'forbidden'; range: string };

interface Range4 {
  base: number;
  bits: number;
  label: string;
}

const v4 = (text: string): number => text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
const range4 = (cidr: string, label: string): Range4 => {
  const [base, bits] = cidr.split('/');
  return { base: v4(base), bits: Number(bits), label: `${cidr} (${label})` };
};

/** IANA IPv4 special-purpose ranges (RFC 6890 and successors) plus multicast and the old class E. */
const FORBIDDEN_V4: Range4[] = [
  range4('0.0.0.0/8', '"this network"'),
  range4('10.0.0.0/8', 'private'),
  range4('100.64.0.0/10', 'shared address space / CGNAT'),
  range4('169.254.0.0/16', 'link-local, cloud metadata'),
  range4('172.16.0.0/12', 'private'),
  range4('192.0.0.0/24', 'IETF protocol assignments'),
  range4('192.0.2.0/24', 'documentation'),
  range4('192.31.196.0/24', 'AS112'),
  range4('192.52.193.0/24', 'AMT'),
  range4('192.88.99.0/24', '6to4 relay anycast'),
  range4('192.168.0.0/16', 'private'),
  range4('192.175.48.0/24', 'AS112'),
  range4('198.18.0.0/15', 'benchmarking'),
  range4('198.51.100.0/24', 'documentation'),
  range4('203.0.113.0/24', 'documentation'),
  range4('224.0.0.0/4', 'multicast'),
  range4('240.0.0.0/4', 'reserved, broadcast'),
];
const LOOPBACK_V4 = range4('127.0.0.0/8', 'loopback');

const inRange4 = (ip: number, r: Range4): boolean => {
  const size = 2 ** (32 - r.bits);
  return Math.floor(ip / size) === Math.floor(r.base / size);
};

export function classifyIPv4(address: string): AddressClass {
  const ip = v4(address);
  if (inRange4(ip, LOOPBACK_V4)) return { kind: 'loopback' };
  const hit = FORBIDDEN_V4.find((r) => inRange4(ip, r));
  return hit ? { kind: 'forbidden', range: hit.label } : { kind: 'public' };
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a trailing dotted IPv4 expanded). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0].toLowerCase();
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4(dotted[1]);
    tail.push(Math.floor(n / 65536), n % 65536);
    text = text.slice(0, -dotted[1].length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (s: string | undefined): number[] => (s ? s.split(':').filter((g) => g !== '').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = [...parse(rest), ...tail];
  const missing = 8 - left.length - right.length;
  if (rest === undefined) return [...left, ...tail];
  return [...left, ...new Array<number>(Math.max(0, missing)).fill(0), ...right];
}

const embeddedV4 = (g: number[], at: number): string => [g[at] >> 8, g[at] & 0xff, g[at + 1] >> 8, g[at + 1] & 0xff].join('.');

export function classifyIPv6(address: string): AddressClass {
  const g = ipv6Groups(address);
  const zero = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  const forbidden = (range: string): AddressClass => ({ kind: 'forbidden', range });
  if (zero(0, 8)) return forbidden('::/128 (unspecified)');
  if (zero(0, 7) && g[7] === 1) return { kind: 'loopback' };
  // IPv4 inside IPv6: judged as the IPv4 address they carry.
  if (zero(0, 5) && g[5] === 0xffff) return classifyIPv4(embeddedV4(g, 6)); // ::ffff:a.b.c.d (mapped)
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return classifyIPv4(embeddedV4(g, 6)); // ::ffff:0:a.b.c.d (translated)
  if (zero(0, 6)) return classifyIPv4(embeddedV4(g, 6)); // ::a.b.c.d (deprecated IPv4-compatible)
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return classifyIPv4(embeddedV4(g, 6)); // 64:ff9b::/96 (NAT64)
  if (g[0] === 0x2002) return classifyIPv4(embeddedV4(g, 1)); // 2002::/16 (6to4)
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return forbidden('64:ff9b:1::/48 (local-use NAT64)');
  if (g[0] === 0x100 && zero(1, 4)) return forbidden('100::/64 (discard)');
  if ((g[0] & 0xfe00) === 0xfc00) return forbidden('fc00::/7 (unique local)');
  if ((g[0] & 0xffc0) === 0xfe80) return forbidden('fe80::/10 (link-local)');
  if ((g[0] & 0xffc0) === 0xfec0) return forbidden('fec0::/10 (site-local)');
  if ((g[0] & 0xff00) === 0xff00) return forbidden('ff00::/8 (multicast)');
  if (g[0] === 0x2001 && g[1] === 0x0db8) return forbidden('2001:db8::/32 (documentation)');
  if (g[0] === 0x2001 && g[1] < 0x0200) return forbidden('2001::/23 (IETF protocol assignments, Teredo)');
  if (g[0] === 0x3fff && g[1] <= 0x0fff) return forbidden('3fff::/20 (documentation)');
  if (g[0] === 0x5f00) return forbidden('5f00::/16 (SRv6 SIDs)');
  // Everything outside global unicast (2000::/3) is unassigned or special.
  if ((g[0] & 0xe000) !== 0x2000) return forbidden(`${address} is outside 2000::/3 (global unicast)`);
  return { kind: 'public' };
}

/** Classifies an IP literal (IPv4 or IPv6, without brackets); throws for anything else. */
export function classifyAddress(address: string): AddressClass {
  const family = isIP(address);
  if (family === 4) return classifyIPv4(address);
  if (family === 6) return classifyIPv6(address);
  throw new Error(`not an IP address: ${address}`);
}

/** Why a URL was refused; `status` and `code` are the problem answered at registration. */
export interface UrlRefusal {
  ok: false;
  status: 400 | 422;
  code: 'webhook-url-invalid' | 'webhook-url-credentials' | 'webhook-url-not-https' | 'webhook-url-forbidden-address' | 'webhook-url-unresolvable';
  detail: string;
  address?: string;
  range?: string;
}

export interface UrlAccepted {
  ok: true;
  url: URL;
  /** The addresses checked (the literal, or what the host name resolved to). */
  addresses: ResolvedAddress[];
}

export type UrlVerdict = UrlAccepted | UrlRefusal;

export interface UrlPolicyOptions {
  /** Loopback (127.0.0.0/8, ::1, localhost) over http or https: tests and demos only. */
  allowLoopback: boolean;
  resolve?: HostResolver;
}

/** Error given by {@link UrlPolicy.lookupFor} when a host resolves to a refused address. */
export class ForbiddenAddressError extends Error {
  constructor(readonly refusal: UrlRefusal) {
    super(refusal.detail);
    this.name = 'ForbiddenAddressError';
  }
}

const isLocalhostName = (host: string): boolean => host === 'localhost' || host.endsWith('.localhost');

/**
 * Which webhook URLs the service may call. Only `https://` URLs without credentials whose host
 * (an IP literal, or every address its name resolves to) is a public unicast address; loopback
 * also over plain http when `allowLoopback`. Checked at registration and again at every delivery,
 * where {@link lookupFor} makes the connection use exactly the addresses it checked (no DNS
 * rebinding between the check and the connect). Plain http is for loopback only: a literal
 * loopback address, or a `localhost` name whose every address is loopback.
 */
export class UrlPolicy {
  private readonly resolve: HostResolver;

  constructor(readonly options: UrlPolicyOptions) {
    this.resolve = options.resolve ?? systemResolver;
  }

  /** The syntactic part: scheme, credentials, and the host when it is a literal or `localhost`. */
  checkSyntax(text: string): UrlRefusal | { ok: true; url: URL; literal: string | null } {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return this.refuse(400, 'webhook-url-invalid', `'${text.slice(0, 200)}' is not an absolute URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return this.refuse(400, 'webhook-url-invalid', `Webhook URLs must be https:// (not ${url.protocol})`);
    if (url.username !== '' || url.password !== '') return this.refuse(400, 'webhook-url-credentials', 'Webhook URLs may not contain credentials (user:password@); authenticate deliveries with the signature');
    if (url.hash !== '') return this.refuse(400, 'webhook-url-invalid', 'Webhook URLs may not have a #fragment');
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    if (host === '') return this.refuse(400, 'webhook-url-invalid', 'The webhook URL has no host');
    const literal = isIP(host) !== 0 ? host : null;
    const loopbackName = literal === null && isLocalhostName(host.replace(/\.$/, ''));
    if (url.protocol === 'http:') {
      const loopback = loopbackName || (literal !== null && classifyAddress(literal).kind === 'loopback');
      if (!(loopback && this.options.allowLoopback)) return this.refuse(422, 'webhook-url-not-https', 'Webhook URLs must use https://');
    }
    if (literal !== null) {
      const refusal = this.judge(literal);
      if (refusal) return refusal;
    }
    if (loopbackName && !this.options.allowLoopback) return this.refuse(422, 'webhook-url-forbidden-address', `${host} is a loopback name`, { address: host, range: 'loopback' });
    return { ok: true, url, literal };
  }

  /** The whole check: syntax, then every address the host name resolves to. */
  async check(text: string): Promise<UrlVerdict> {
    const syntax = this.checkSyntax(text);
    if (!syntax.ok) return syntax;
    const { url, literal } = syntax;
    if (literal !== null) return { ok: true, url, addresses: [{ address: literal, family: isIP(literal) === 6 ? 6 : 4 }] };
    const resolved = await this.resolveChecked(url.hostname, url.protocol === 'http:');
    return resolved.ok ? { ok: true, url, addresses: resolved.addresses } : resolved;
  }

  /**
   * Resolves a host name and checks every address (all must be allowed, not just one); with
   * `loopbackOnly` (plain http), every address must be a loopback address.
   */
  async resolveChecked(hostname: string, loopbackOnly = false): Promise<{ ok: true; addresses: ResolvedAddress[] } | UrlRefusal> {
    const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    let addresses: ResolvedAddress[];
    if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
    else {
      if (isLocalhostName(host.replace(/\.$/, '')) && !this.options.allowLoopback) {
        return this.refuse(422, 'webhook-url-forbidden-address', `${host} is a loopback name`, { address: host, range: 'loopback' });
      }
      try {
        addresses = await this.resolve(host);
      } catch (error) {
        return this.refuse(422, 'webhook-url-unresolvable', `The host ${host} does not resolve: ${(error as Error).message}`);
      }
      if (addresses.length === 0) return this.refuse(422, 'webhook-url-unresolvable', `The host ${host} has no addresses`);
    }
    for (const a of addresses) {
      const refusal = this.judge(a.address, isIP(host) === 0 ? host : undefined);
      if (refusal) return refusal;
      if (loopbackOnly && classifyAddress(a.address).kind !== 'loopback') {
        return this.refuse(422, 'webhook-url-not-https', `Webhook URLs must use https:// (${host} resolves to ${a.address}, not a loopback address)`, { address: a.address });
      }
    }
    return { ok: true, addresses };
  }

  /**
   * A `lookup` for node:http(s) requests to `url` that resolves through the policy: the socket
   * connects only to an address that was just checked. Fails with {@link ForbiddenAddressError}.
   */
  lookupFor(url: URL): LookupFunction {
    const loopbackOnly = url.protocol === 'http:';
    const lookup = (hostname: string, options: LookupOptions, callback: (...args: unknown[]) => void): void => {
      this.resolveChecked(hostname, loopbackOnly).then(
        (result) => {
          if (!result.ok) {
            callback(new ForbiddenAddressError(result));
            return;
          }
          const wanted = options.family === 6 || options.family === 'IPv6' ? 6 : options.family === 4 || options.family === 'IPv4' ? 4 : 0;
          const usable = wanted === 0 ? result.addresses : result.addresses.filter((a) => a.family === wanted);
          if (usable.length === 0) {
            callback(Object.assign(new Error(`${hostname} has no IPv${wanted} address`), { code: 'ENOTFOUND' }));
            return;
          }
          if (options.all) callback(null, usable.map((a) => ({ address: a.address, family: a.family })));
          else callback(null, usable[0].address, usable[0].family);
        },
        (error: unknown) => callback(error),
      );
    };
    return lookup as unknown as LookupFunction;
  }

  private judge(address: string, host?: string): UrlRefusal | null {
    const verdict = classifyAddress(address);
    const of = host ? `${host} resolves to ${address}, which` : address;
    if (verdict.kind === 'forbidden') return this.refuse(422, 'webhook-url-forbidden-address', `${of} is in a private or reserved range: ${verdict.range}`, { address, range: verdict.range });
    if (verdict.kind === 'loopback' && !this.options.allowLoopback) {
      return this.refuse(422, 'webhook-url-forbidden-address', `${of} is a loopback address`, { address, range: 'loopback' });
    }
    return null;
  }

  private refuse(status: 400 | 422, code: UrlRefusal['code'], detail: string, extra: { address?: string; range?: string } = {}): UrlRefusal {
    return { ok: false, status, code, detail, ...extra };
  }
}
