import { request } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyAddress, ForbiddenAddressError, UrlPolicy, type HostResolver } from './url-policy';

const DNS: Record<string, string[]> = {
  'hooks.example.org': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'internal.example.org': ['10.0.0.5'],
  'half.example.org': ['93.184.216.34', '192.168.1.10'],
  'metadata.example.org': ['169.254.169.254'],
  'mapped.example.org': ['::ffff:10.0.0.1'],
  'ula.example.org': ['fd12:3456::1'],
  'rebind.localhost': ['127.0.0.1'],
  'localhost': ['127.0.0.1', '::1'],
  'public.localhost': ['93.184.216.34'],
};
const resolve: HostResolver = async (host) => {
  const found = DNS[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('classifyAddress', () => {
  it.each([
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['100.63.255.255', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'forbidden'],
    ['10.255.255.255', 'forbidden'],
    ['172.16.0.1', 'forbidden'],
    ['172.31.255.255', 'forbidden'],
    ['192.168.0.1', 'forbidden'],
    ['169.254.169.254', 'forbidden'],
    ['100.64.0.1', 'forbidden'],
    ['100.127.255.255', 'forbidden'],
    ['0.0.0.0', 'forbidden'],
    ['0.1.2.3', 'forbidden'],
    ['192.0.2.1', 'forbidden'],
    ['198.18.0.1', 'forbidden'],
    ['224.0.0.1', 'forbidden'],
    ['255.255.255.255', 'forbidden'],
    ['2606:2800:220:1:248:1893:25c8:1946', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
    ['::1', 'loopback'],
    ['::', 'forbidden'],
    ['fc00::1', 'forbidden'],
    ['fd12:3456::1', 'forbidden'],
    ['fe80::1', 'forbidden'],
    ['febf::1', 'forbidden'],
    ['ff02::1', 'forbidden'],
    ['2001:db8::1', 'forbidden'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'forbidden'], // Teredo
    ['64:ff9b:1::1', 'forbidden'],
    ['::ffff:10.0.0.1', 'forbidden'],
    ['::ffff:a00:1', 'forbidden'],
    ['::ffff:169.254.169.254', 'forbidden'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:93.184.216.34', 'public'],
    ['::ffff:0:10.0.0.1', 'forbidden'],
    ['::10.0.0.1', 'forbidden'],
    ['64:ff9b::10.0.0.1', 'forbidden'],
    ['64:ff9b::93.184.216.34', 'public'],
    ['2002:0a00:0001::1', 'forbidden'], // 6to4 of 10.0.0.1
    ['2002:5db8:d822::1', 'public'], // 6to4 of 93.184.216.34
    ['1::1', 'forbidden'], // outside 2000::/3
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address).kind).toBe(kind);
  });
});

describe('UrlPolicy', () => {
  const strict = new UrlPolicy({ allowLoopback: false, resolve });
  const loose = new UrlPolicy({ allowLoopback: true, resolve });

  it.each([
    // [url, allowLoopback, expected code or 'ok']
    ['https://hooks.example.org/sroi', false, 'ok'],
    ['https://hooks.example.org:8443/sroi?x=1', false, 'ok'],
    ['https://93.184.216.34/hook', false, 'ok'],
    ['https://[2606:2800:220:1:248:1893:25c8:1946]/hook', false, 'ok'],
    ['http://hooks.example.org/sroi', false, 'webhook-url-not-https'],
    ['http://hooks.example.org/sroi', true, 'webhook-url-not-https'],
    ['http://93.184.216.34/hook', true, 'webhook-url-not-https'],
    ['ftp://hooks.example.org/x', false, 'webhook-url-invalid'],
    ['javascript:alert(1)', false, 'webhook-url-invalid'],
    ['not a url', false, 'webhook-url-invalid'],
    ['/relative/path', false, 'webhook-url-invalid'],
    ['https://hooks.example.org/x#frag', false, 'webhook-url-invalid'],
    ['https://user:pass@hooks.example.org/x', false, 'webhook-url-credentials'],
    ['https://user@hooks.example.org/x', false, 'webhook-url-credentials'],
    ['https://10.0.0.1/hook', false, 'webhook-url-forbidden-address'],
    ['https://172.20.1.1/hook', false, 'webhook-url-forbidden-address'],
    ['https://192.168.1.1/hook', false, 'webhook-url-forbidden-address'],
    ['https://169.254.169.254/latest/meta-data', false, 'webhook-url-forbidden-address'],
    ['https://100.64.0.1/', false, 'webhook-url-forbidden-address'],
    ['https://0.0.0.0/', false, 'webhook-url-forbidden-address'],
    ['https://[fd00::1]/', false, 'webhook-url-forbidden-address'],
    ['https://[fe80::1]/', false, 'webhook-url-forbidden-address'],
    ['https://[::ffff:192.168.0.1]/', false, 'webhook-url-forbidden-address'],
    ['https://[::ffff:7f00:1]/', false, 'webhook-url-forbidden-address'],
    ['https://0x0a000001/', false, 'webhook-url-forbidden-address'], // WHATWG: 10.0.0.1
    ['https://167772161/', false, 'webhook-url-forbidden-address'], // 10.0.0.1 as a number
    ['https://012.0.0.1/', false, 'webhook-url-forbidden-address'], // octal 10.0.0.1
    ['https://127.0.0.1/', false, 'webhook-url-forbidden-address'],
    ['https://[::1]/', false, 'webhook-url-forbidden-address'],
    ['https://localhost/', false, 'webhook-url-forbidden-address'],
    ['http://localhost:8080/', false, 'webhook-url-not-https'],
    ['https://internal.example.org/', false, 'webhook-url-forbidden-address'],
    ['https://half.example.org/', false, 'webhook-url-forbidden-address'],
    ['https://metadata.example.org/', false, 'webhook-url-forbidden-address'],
    ['https://mapped.example.org/', false, 'webhook-url-forbidden-address'],
    ['https://ula.example.org/', false, 'webhook-url-forbidden-address'],
    ['https://nowhere.invalid/', false, 'webhook-url-unresolvable'],
    // Loopback allowed (tests, demos): http or https to loopback only.
    ['http://127.0.0.1:3999/hook', true, 'ok'],
    ['http://127.8.9.10/hook', true, 'ok'],
    ['http://[::1]:3999/hook', true, 'ok'],
    ['https://127.0.0.1/hook', true, 'ok'],
    ['http://localhost:3999/hook', true, 'ok'],
    ['http://rebind.localhost/hook', true, 'ok'],
    ['http://public.localhost/hook', true, 'webhook-url-not-https'],
    ['https://10.0.0.1/hook', true, 'webhook-url-forbidden-address'],
    ['http://10.0.0.1/hook', true, 'webhook-url-not-https'],
    ['https://internal.example.org/', true, 'webhook-url-forbidden-address'],
    ['http://user:pw@127.0.0.1/hook', true, 'webhook-url-credentials'],
  ] as const)('%s (loopback allowed: %s) → %s', async (url, allowLoopback, expected) => {
    const verdict = await (allowLoopback ? loose : strict).check(url);
    expect(verdict.ok ? 'ok' : verdict.code).toBe(expected);
    if (!verdict.ok) {
      expect(verdict.status).toBe(verdict.code === 'webhook-url-invalid' || verdict.code === 'webhook-url-credentials' ? 400 : 422);
      expect(verdict.detail.length).toBeGreaterThan(10);
    }
  });

  it('names the address and range it refused', async () => {
    expect(await strict.check('https://half.example.org/')).toMatchObject({
      ok: false,
      address: '192.168.1.10',
      range: '192.168.0.0/16 (private)',
      detail: expect.stringContaining('half.example.org resolves to 192.168.1.10'),
    });
    expect(await strict.check('https://[::ffff:a9fe:a9fe]/')).toMatchObject({ ok: false, range: expect.stringContaining('169.254.0.0/16') });
  });

  it('gives node:http a lookup that connects only to checked addresses', async () => {
    const server = createServer((_, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const get = (policy: UrlPolicy, url: string) =>
      new Promise<string>((done) => {
        const req = request(url, { lookup: policy.lookupFor(new URL(url)), agent: false }, (res) => {
          res.resume();
          res.on('end', () => done(`status ${res.statusCode}`));
        });
        req.on('error', (e) => done(e instanceof ForbiddenAddressError ? `refused ${e.refusal.code}` : `error ${e.message}`));
        req.end();
      });
    try {
      let answer = '127.0.0.1';
      const flipping = new UrlPolicy({ allowLoopback: true, resolve: async () => [{ address: answer, family: 4 }] });
      expect(await get(flipping, `http://svc.localhost:${port}/`)).toBe('status 200');
      answer = '10.9.8.7';
      expect(await get(flipping, `http://svc.localhost:${port}/`)).toBe('refused webhook-url-forbidden-address');
      answer = '93.184.216.34';
      expect(await get(flipping, `http://svc.localhost:${port}/`)).toBe('refused webhook-url-not-https');
      expect(await get(new UrlPolicy({ allowLoopback: false, resolve }), `http://rebind.localhost:${port}/`)).toBe('refused webhook-url-forbidden-address');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
