// net.connect()'s addressing options (lookupAndConnect in Node's lib/net.js),
// validated as net validates them, and every other option net accepts that
// this package does not offer, refused rather than ignored.
import dns from 'node:dns';
import net, { isIP } from 'node:net';
import type { FamilyCode } from './native.js';
import type { LookupFunction } from './resolve.js';
import { invalidArgType, invalidArgValue, outOfRange, validateInteger, validatePort } from './validate.js';

export interface NetAddressOptions {
  /** 4 or 6 (or 'IPv4'/'IPv6') to resolve `host` to that family only; 0 (default) for either. */
  family?: 0 | 4 | 6 | 'IPv4' | 'IPv6';
  /** getaddrinfo flags: dns.ADDRCONFIG, dns.V4MAPPED, dns.ALL (default: ADDRCONFIG when family is 0, as net). */
  hints?: number;
  /** A dns.lookup-shaped function to resolve `host` instead (it runs on the JavaScript thread). */
  lookup?: LookupFunction;
  /**
   * Try every address the name resolves to, families interleaved, as net
   * (default: net.getDefaultAutoSelectFamily()).
   */
  autoSelectFamily?: boolean;
  /** ms for each address but the last when autoSelectFamily is on (default: net's, `net.getDefaultAutoSelectFamilyAttemptTimeout()`). At least 10. */
  autoSelectFamilyAttemptTimeout?: number;
  /** The IP address to connect from (bind(2) before connect); turns autoSelectFamily off, as net. */
  localAddress?: string;
  /** The port to connect from (0: any). */
  localPort?: number;
}

export interface NetAddressing {
  family: FamilyCode;
  hints: number;
  lookup: LookupFunction | undefined;
  autoSelectFamily: boolean;
  attemptTimeout: number;
  localAddress: string | undefined;
  localPort: number | undefined;
}

/**
 * Options of net.connect() that connect() does not offer, and the values of
 * each that would change something (null and undefined are absent, as in
 * net): an error, never silence.
 */
const UNSUPPORTED: Record<string, [(v: unknown) => boolean, string]> = {
  fd: [(v) => v != null, 'is not supported: connect() opens its own socket'],
  onread: [(v) => v != null, 'is not supported: reads are made with read()'],
  readable: [(v) => v === false, 'is not supported: the socket is always readable'],
  writable: [(v) => v === false, 'is not supported: the socket is always writable'],
  blockList: [(v) => v != null, 'is not supported'],
};

export function rejectUnsupported(o: object): void {
  for (const [key, [set, reason]] of Object.entries(UNSUPPORTED)) {
    const value = (o as Record<string, unknown>)[key];
    if (set(value)) throw invalidArgValue(`options.${key}`, value, reason);
  }
}

export function validateNetOptions(o: NetAddressOptions): NetAddressing {
  const family = validateFamily(o.family);
  let hints = 0;
  if (o.hints != null && o.hints !== 0) {
    hints = validateInteger(o.hints, 'options.hints', 0, 2 ** 31 - 1);
    if ((hints & ~(dns.ADDRCONFIG | dns.ALL | dns.V4MAPPED)) !== 0) {
      throw invalidArgValue('hints', o.hints, 'is invalid');
    }
  }
  // net: ADDRCONFIG unless a family or hints were given.
  if (family === 0 && hints === 0 && process.platform !== 'win32') hints = dns.ADDRCONFIG;
  if (o.lookup != null && typeof o.lookup !== 'function') {
    throw invalidArgType('options.lookup', 'of type function', o.lookup);
  }
  let autoSelectFamily = net.getDefaultAutoSelectFamily();
  if (o.autoSelectFamily != null) {
    if (typeof o.autoSelectFamily !== 'boolean') {
      throw invalidArgType('options.autoSelectFamily', 'of type boolean', o.autoSelectFamily);
    }
    autoSelectFamily = o.autoSelectFamily;
  }
  let attemptTimeout = net.getDefaultAutoSelectFamilyAttemptTimeout();
  if (o.autoSelectFamilyAttemptTimeout != null) {
    const t = o.autoSelectFamilyAttemptTimeout;
    if (typeof t !== 'number') throw invalidArgType('options.autoSelectFamilyAttemptTimeout', 'of type number', t);
    if (!Number.isInteger(t) || t < 1 || t > 2 ** 31 - 1) {
      throw outOfRange('options.autoSelectFamilyAttemptTimeout', `>= 1 && <= ${2 ** 31 - 1}`, t);
    }
    attemptTimeout = Math.max(t, 10); // net's floor
  }
  // As net: an empty or null localAddress, a 0 or null localPort, is none.
  const localAddress = o.localAddress || undefined;
  if (localAddress !== undefined && (typeof localAddress !== 'string' || isIP(localAddress) === 0)) {
    throw Object.assign(new TypeError(`Invalid IP address: ${String(localAddress)}`), {
      code: 'ERR_INVALID_IP_ADDRESS',
    });
  }
  const localPort = o.localPort ? validatePort(o.localPort, 'options.localPort') : undefined;
  return { family, hints, lookup: o.lookup ?? undefined, autoSelectFamily, attemptTimeout, localAddress, localPort };
}

function validateFamily(value: unknown): FamilyCode {
  if (value == null || value === 0) return 0;
  if (value === 4 || value === 'IPv4') return 4;
  if (value === 6 || value === 'IPv6') return 6;
  throw invalidArgValue('options.family', value, 'must be one of: 0, 4, 6');
}
