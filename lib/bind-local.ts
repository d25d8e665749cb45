// net's localAddress/localPort: the connecting socket bound before its
// connect(2), to the address given or the family's any-address, as net's
// internalConnect does. A failure is net's `bind EADDRINUSE address:port`.
import { systemError } from './errors.js';
import { withHostPort } from './connect-error.js';
import { addon, type FamilyCode, type NativeResult, type NativeSocket } from './native.js';

const bindAddon = addon as unknown as { bindLocal(fd: number, address: string, port: number): NativeResult | undefined };

export function bindLocal(native: NativeSocket, family: FamilyCode, local: { address: string | undefined; port: number }): void {
  const address = local.address ?? (family === 6 ? '::' : '0.0.0.0');
  const r = bindAddon.bindLocal(native.fd, address, local.port);
  if (r) throw withHostPort(systemError('connect', r), address, local.port, 'bind');
}
