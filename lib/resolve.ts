// Host names to numeric addresses, through Node's dns.lookup (which honours
// /etc/hosts and the system resolver, as net.connect does). Literal
// addresses skip the lookup, so their connect starts on the caller's tick.
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import { abortError } from './errors.js';
import type { FamilyCode } from './native.js';

export interface Resolved {
  address: string;
  family: 4 | 6;
}

export function literal(host: string): Resolved | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const v = isIP(bare.split('%')[0]!);
  return v === 4 || v === 6 ? { address: bare, family: v } : undefined;
}

/**
 * Resolves host, within `timeout` ms (0 = none) and the signal. A name
 * lookup runs on libuv's threadpool and cannot be interrupted; if it is too
 * slow, the promise rejects and its late answer is ignored.
 */
export function resolveHost(
  host: string,
  family: FamilyCode,
  timeout: number,
  signal: AbortSignal | undefined,
  onTimeout: () => Error,
): Promise<Resolved> {
  return new Promise((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, value?: Resolved) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = () => finish(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout > 0) timer = setTimeout(() => finish(onTimeout()), timeout);
    lookup(host, { family: family === 0 ? 0 : family }, (err, address, fam) => {
      if (err) finish(err);
      else finish(null, { address, family: fam === 6 ? 6 : 4 });
    });
  });
}
