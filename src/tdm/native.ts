// The real native side of the SpanManager: the span and PRI bindings and the shared event reader.
import { NativeEventReader } from '../ffi/events.js';
import { loadNative } from '../ffi/native.js';
import { PriBinding } from '../ffi/pri.js';
import { SpanBinding } from '../ffi/span.js';
import { TdmBinding } from '../ffi/tdm.js';
import type { TdmNative } from './span-manager.js';

export function loadTdmNative(): TdmNative {
  const native = loadNative();
  return { span: new SpanBinding(native), pri: new PriBinding(native), tdm: new TdmBinding(native), events: NativeEventReader.open(native) };
}
