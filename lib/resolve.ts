// Host names to numeric addresses for connect(), inside its budget.
//
// By default getaddrinfo runs on a thread the addon owns (native/resolver.cc)
// with the hints dns.lookup passes, so /etc/hosts and the system resolver
// answer as they do for net.connect; the verdict "resolved before the
// deadline?" is taken there, on the monotonic clock the socket ops use, and
// the answer says how much of the budget was left at that moment. A stall
// of the JavaScript thread after the answer therefore costs the connect
// nothing. A user's `lookup` function runs on the JavaScript thread: its time
// is measured there (README, "Connecting by name").
import dns from 'node:dns';
import { isIP } from 'node:net';
import { constants } from 'node:os';
import { abortError, ConnectTimeoutError } from './errors.js';
import { addon, type FamilyCode } from './native.js';

export interface Resolved {
  address: string;
  family: 4 | 6;
}

/** What a lookup gave: addresses in the order to try, and the budget left (ms; Infinity: none). */
export interface Lookup {
  addresses: Resolved[];
  left: number;
}

/** net's `lookup` option: dns.lookup's signature. */
export type LookupFunction = (
  hostname: string,
  options: dns.LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void,
) => void;

export interface LookupRequest {
  host: string;
  family: FamilyCode;
  hints: number;
  /** Every address (autoSelectFamily) or the first one only. */
  all: boolean;
  /** ms for the whole connect; 0 = none. */
  timeout: number;
  signal: AbortSignal | undefined;
  lookup: LookupFunction | undefined;
}

interface NativeAnswer {
  decidedAt: number;
  left?: number;
  timedOut?: boolean;
  code?: string;
  addresses?: Resolved[];
}

interface ResolverAddon {
  resolve(host: string, family: number, hints: number, timeoutMs: number, cb: (a: NativeAnswer) => void): number;
  cancelResolve(id: number): void;
}

export function literal(host: string): Resolved | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const v = isIP(bare.split('%')[0]!);
  return v === 4 || v === 6 ? { address: bare, family: v } : undefined;
}

/** Resolves req.host within req.timeout and req.signal. */
export function lookupHost(req: LookupRequest): Promise<Lookup> {
  if (req.signal?.aborted) return Promise.reject(abortError(req.signal));
  return req.lookup ? userLookup(req, req.lookup) : nativeLookup(req);
}

function nativeLookup(req: LookupRequest): Promise<Lookup> {
  const resolver = addon as unknown as ResolverAddon;
  return new Promise((resolve, reject) => {
    const signal = req.signal;
    const onAbort = () => {
      resolver.cancelResolve(id);
      reject(abortError(signal!));
    };
    const id = resolver.resolve(req.host, req.family, req.hints, req.timeout, (a) => {
      signal?.removeEventListener('abort', onAbort);
      if (a.timedOut) return reject(lookupTimeout(req, a.decidedAt));
      if (a.code !== undefined) return reject(lookupError(a.code, req.host));
      const addresses = ordered(a.addresses ?? []);
      if (addresses.length === 0) return reject(lookupError('EAI_NONAME', req.host));
      resolve({ addresses: req.all ? addresses : addresses.slice(0, 1), left: a.left ?? Infinity });
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A user's lookup: JavaScript, so measured on the JavaScript thread. A
 * timer bounds a lookup that never calls back; when it fires, the verdict
 * waits for the poll phase (setImmediate), so an answer that arrived during
 * a stall is taken rather than beaten by the timer.
 */
function userLookup(req: LookupRequest, lookup: LookupFunction): Promise<Lookup> {
  const end = req.timeout > 0 ? performance.now() + req.timeout : Infinity;
  return new Promise((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const signal = req.signal;
    const finish = (err: Error | null, value?: Lookup) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = () => finish(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (end !== Infinity) {
      timer = setTimeout(() => setImmediate(() => finish(lookupTimeout(req, undefined))), req.timeout);
    }
    const options: dns.LookupOptions = { family: req.family, hints: req.hints, ...(req.all ? { all: true } : {}) };
    lookup(req.host, options, (err, address, family) => {
      if (err) return finish(err);
      const list = Array.isArray(address) ? address : [{ address, family: family ?? 0 }];
      const addresses = list.filter((a): a is Resolved => (a.family === 4 || a.family === 6) && isIP(a.address) === a.family);
      if (addresses.length === 0) {
        const first = list[0];
        return finish(invalidAddress(first?.address));
      }
      finish(null, { addresses, left: end === Infinity ? Infinity : Math.max(0, end - performance.now()) });
    });
  });
}

/** dns.lookup's order: the system's ('verbatim') unless dns.setDefaultResultOrder() said otherwise. */
function ordered(list: Resolved[]): Resolved[] {
  const order = dns.getDefaultResultOrder?.() ?? 'verbatim';
  if (order === 'verbatim') return list;
  const first = order === 'ipv4first' ? 4 : 6;
  return [...list.filter((a) => a.family === first), ...list.filter((a) => a.family !== first)];
}

/** libuv's numbers for getaddrinfo's errors (UV_EAI_*), as dns.lookup reports them. */
const UV_EAI: Record<string, number> = {
  EAI_ADDRFAMILY: -3000,
  EAI_AGAIN: -3001,
  EAI_BADFLAGS: -3002,
  EAI_FAIL: -3004,
  EAI_FAMILY: -3005,
  EAI_MEMORY: -3006,
  EAI_NODATA: -3007,
  EAI_NONAME: -3008,
  EAI_SERVICE: -3010,
  EAI_SOCKTYPE: -3011,
};

/** dns.lookup's error for a failed getaddrinfo: `getaddrinfo ENOTFOUND host`. */
function lookupError(name: string, host: string): NodeJS.ErrnoException {
  const sys = (constants.errno as Record<string, number>)[name];
  const errno = UV_EAI[name] ?? (sys === undefined ? undefined : -sys);
  const code = name === 'EAI_NONAME' || name === 'EAI_NODATA' ? 'ENOTFOUND' : name;
  return Object.assign(new Error(`getaddrinfo ${code} ${host}`), { errno, code, syscall: 'getaddrinfo', hostname: host });
}

function lookupTimeout(req: LookupRequest, decidedAt: number | undefined): ConnectTimeoutError {
  return new ConnectTimeoutError(`connect timed out after ${req.timeout} ms (getaddrinfo ${req.host} unanswered)`, {
    code: 'ERR_SOCKET_CONNECT_TIMEOUT',
    syscall: 'getaddrinfo',
    timeout: req.timeout,
    decidedAt,
  });
}

function invalidAddress(address: unknown): TypeError & { code: string } {
  return Object.assign(new TypeError(`Invalid IP address: ${String(address)}`), { code: 'ERR_INVALID_IP_ADDRESS' });
}
