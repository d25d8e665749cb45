// NODE_DEBUG=kernel-timeout-socket logs every operation, its timeout and
// its outcome: for users chasing a hang in production.
import { debuglog } from 'node:util';

export const debug = debuglog('kernel-timeout-socket');
