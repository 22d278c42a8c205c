// The bytes of a message: Buffers and typed arrays are used as they are (no
// copy), strings are encoded as UTF-8.
import { typeError } from '../validate.js';

export type MessageData = string | ArrayBufferView | ArrayBuffer;

export function messageBytes(data: unknown, name = 'data'): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw typeError(name, 'of type string or an instance of Buffer, TypedArray, DataView or ArrayBuffer', data);
}
