// Argument validation with Node's codes and message shapes. Everything a
// public method takes is checked here, synchronously, before anything
// reaches the kernel.
import { inspect } from 'node:util';

/** The largest timeout accepted, as for setTimeout: 2^31 - 1 ms (about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** The largest single read: the addon allocates the whole size up front. */
export const MAX_READ_SIZE = 64 * 1024 * 1024;

function coded<E extends Error>(err: E, code: string): E & { code: string } {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return err as E & { code: string };
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return ` Received ${value}`;
  if (typeof value === 'function') return ` Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? ` Received an instance of ${name}` : ` Received ${inspect(value, { depth: -1 })}`;
  }
  return ` Received type ${typeof value} (${inspect(value).slice(0, 25)})`;
}

export function invalidArgType(name: string, expected: string, value: unknown): TypeError & { code: string } {
  return coded(new TypeError(`The "${name}" argument must be ${expected}.${describe(value)}`), 'ERR_INVALID_ARG_TYPE');
}

export function outOfRange(name: string, range: string, value: unknown): RangeError & { code: string } {
  return coded(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`),
    'ERR_OUT_OF_RANGE',
  );
}

export function invalidArgValue(name: string, value: unknown, reason: string): TypeError & { code: string } {
  return coded(new TypeError(`The argument '${name}' ${reason}. Received ${inspect(value)}`), 'ERR_INVALID_ARG_VALUE');
}

/** Node's ERR_INVALID_HANDLE_TYPE (net's resetAndDestroy() on a non-TCP socket). */
export function invalidHandleType(): TypeError & { code: string } {
  return Object.assign(new TypeError('This handle type cannot be sent'), { code: 'ERR_INVALID_HANDLE_TYPE' });
}

export function validateObject<T extends object>(value: unknown, name: string): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  return value as T;
}

const NO_OPTIONS = Object.freeze({});

/** validateObject for options only read, never kept or changed: undefined gives one shared frozen empty object. */
export function validateOptions<T extends object>(value: unknown, name: string): Readonly<T> {
  if (value === undefined) return NO_OPTIONS as T;
  return validateObject<T>(value, name);
}

/** A timeout in ms: 0 = none. undefined gives `fallback`. */
export function validateTimeout(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isFinite(value) || value < 0 || value > MAX_TIMEOUT_MS) {
    throw outOfRange(name, `>= 0 && <= ${MAX_TIMEOUT_MS}`, value);
  }
  return value;
}

export function validateInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} && <= ${max}`, value);
  }
  return value;
}

export function validatePort(value: unknown, name = 'options.port'): number {
  return validateInteger(value, name, 0, 65535);
}

export function validateReadSize(value: unknown, name = 'size'): number {
  return validateInteger(value, name, 1, MAX_READ_SIZE);
}

export function validateString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value.length === 0) throw invalidArgValue(name, value, 'must be a non-empty string');
  if (value.includes('\0')) throw invalidArgValue(name, value, 'must not contain null bytes');
  return value;
}

export function validateSignal(value: unknown, name = 'options.signal'): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw invalidArgType(name, 'an instance of AbortSignal', value);
  return value;
}

/** A deadline: epoch milliseconds (as Date.now()), a Date, or null to clear. */
export function validateDeadline(value: unknown, name = 'deadline'): number | null {
  if (value === null) return null;
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isNaN(t)) throw invalidArgValue(name, value, 'must be a valid Date');
    return t;
  }
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number, an instance of Date, or null', value);
  if (!Number.isFinite(value)) throw outOfRange(name, 'a finite number', value);
  return value;
}

/** Data to write: Buffer, any Uint8Array, or a string (utf8 unless told). */
export function validateWriteData(value: unknown, encoding: BufferEncoding | undefined, name = 'data'): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    if (encoding !== undefined && !Buffer.isEncoding(encoding)) {
      throw invalidArgValue('encoding', encoding, 'is not a supported encoding');
    }
    bytes = Buffer.from(value, encoding ?? 'utf8');
  } else if (value instanceof Uint8Array) {
    bytes = value;
  } else {
    throw invalidArgType(name, 'of type string or an instance of Buffer or Uint8Array', value);
  }
  // A detached or transferred ArrayBuffer also reads as length 0 here.
  if (bytes.byteLength === 0) throw outOfRange(`${name}.byteLength`, '>= 1', 0);
  return bytes;
}
