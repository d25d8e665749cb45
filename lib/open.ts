// A fresh native socket of one family, or the typed error for why not.
import { systemError } from './errors.js';
import { applyDeadlinePriority } from './deadline-priority.js';
import { engineCode, type Engine } from './engine.js';
import { addon, isResult, type FamilyCode, type NativeSocket } from './native.js';

export function openSocket(family: FamilyCode, listener: boolean, engine: Engine): NativeSocket {
  if (engine === 'loop') applyDeadlinePriority();
  const s = addon.NativeSocket.open(family, listener, engineCode(engine));
  if (isResult(s)) throw systemError('socket', s);
  return s;
}
