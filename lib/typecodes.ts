// Python's `array` typecodes, as multiprocessing.Value/Array take them, mapped to
// C sizes and JS typed arrays. Sizes are those of Linux and macOS on x86-64 and
// arm64 (LP64): `l`/`L` are C `long`, 8 bytes, so they hold bigints like `q`/`Q`.
// Every value stored goes through checkElement(): the wrong JS type is a
// TypeError (a number where a bigint belongs, or the reverse), a value the C
// type cannot hold is a RangeError. Nothing is silently wrapped or truncated.
import { invalidArg, rangeError, typeError } from './validate.js';

export type SmallIntTypecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I';
export type BigIntTypecode = 'l' | 'L' | 'q' | 'Q';
export type IntegerTypecode = SmallIntTypecode | BigIntTypecode;
export type FloatTypecode = 'f' | 'd';
export type Typecode = IntegerTypecode | FloatTypecode | 'c';

/** What reading an element gives: number, bigint (64-bit codes), or a 1-byte Buffer (`c`). */
export type ElementOf<T extends Typecode> =
  T extends BigIntTypecode ? bigint : T extends 'c' ? Buffer : number;

/** What an element may be set to. `c` takes a 1-byte Buffer/Uint8Array/string or a byte 0..255. */
export type ElementInput<T extends Typecode> =
  T extends BigIntTypecode ? bigint : T extends 'c' ? Uint8Array | string | number : number;

/** The typed array an element kind is viewed through. */
export type ViewOf<T extends Typecode> =
  T extends 'b' ? Int8Array : T extends 'B' | 'c' ? Uint8Array :
  T extends 'h' ? Int16Array : T extends 'H' ? Uint16Array :
  T extends 'i' ? Int32Array : T extends 'I' ? Uint32Array :
  T extends 'l' | 'q' ? BigInt64Array : T extends 'L' | 'Q' ? BigUint64Array :
  T extends 'f' ? Float32Array : T extends 'd' ? Float64Array : never;

export type AnyView =
  Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array |
  BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/** Integer views: the ones `Atomics` works on. */
export type IntegerView =
  Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

type ViewConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => AnyView;

export interface TypecodeInfo {
  readonly code: Typecode;
  /** Bytes per element. */
  readonly size: number;
  /** 'int': JS number; 'bigint': JS bigint (64-bit codes); 'float'; 'bytes' (`c`). */
  readonly kind: 'int' | 'bigint' | 'float' | 'bytes';
  /** The C type, for documentation and error messages. */
  readonly ctype: string;
  readonly View: ViewConstructor;
  /** Smallest and largest value (integer kinds; `c` is 0..255). */
  readonly min: number | bigint;
  readonly max: number | bigint;
}

function info(code: Typecode, size: number, kind: TypecodeInfo['kind'], ctype: string,
  View: ViewConstructor, min: number | bigint, max: number | bigint): TypecodeInfo {
  return Object.freeze({ code, size, kind, ctype, View, min, max });
}

export const TYPECODES: Readonly<Record<Typecode, TypecodeInfo>> = Object.freeze({
  b: info('b', 1, 'int', 'signed char', Int8Array, -0x80, 0x7f),
  B: info('B', 1, 'int', 'unsigned char', Uint8Array, 0, 0xff),
  h: info('h', 2, 'int', 'short', Int16Array, -0x8000, 0x7fff),
  H: info('H', 2, 'int', 'unsigned short', Uint16Array, 0, 0xffff),
  i: info('i', 4, 'int', 'int', Int32Array, -0x80000000, 0x7fffffff),
  I: info('I', 4, 'int', 'unsigned int', Uint32Array, 0, 0xffffffff),
  l: info('l', 8, 'bigint', 'long', BigInt64Array, -(2n ** 63n), 2n ** 63n - 1n),
  L: info('L', 8, 'bigint', 'unsigned long', BigUint64Array, 0n, 2n ** 64n - 1n),
  q: info('q', 8, 'bigint', 'long long', BigInt64Array, -(2n ** 63n), 2n ** 63n - 1n),
  Q: info('Q', 8, 'bigint', 'unsigned long long', BigUint64Array, 0n, 2n ** 64n - 1n),
  f: info('f', 4, 'float', 'float', Float32Array, -3.4028234663852886e38, 3.4028234663852886e38),
  d: info('d', 8, 'float', 'double', Float64Array, -Number.MAX_VALUE, Number.MAX_VALUE),
  c: info('c', 1, 'bytes', 'char', Uint8Array, 0, 0xff),
});

/** Looks a typecode up: TypeError for a non-string or a code Python's `array` does not have. */
export function typecodeInfo(value: unknown, name = 'typecode'): TypecodeInfo {
  if (typeof value !== 'string') throw typeError(name, 'a typecode string (one of b B h H i I l L q Q f d c)', value);
  const found = Object.hasOwn(TYPECODES, value) ? TYPECODES[value as Typecode] : undefined;
  if (!found) throw invalidArg(name, `${JSON.stringify(value)} is not a typecode; use one of b B h H i I l L q Q f d c`);
  return found;
}

/** True for the codes with lock-free atomic operations (every integer code). */
export function isIntegerCode(t: TypecodeInfo): boolean {
  return t.kind === 'int' || t.kind === 'bigint';
}

/**
 * Checks one element and returns what the typed array stores: a number, a
 * bigint, or (for `c`) the byte as a number.
 */
export function checkElement(t: TypecodeInfo, value: unknown, name: string): number | bigint {
  switch (t.kind) {
    case 'int': {
      if (typeof value !== 'number') throw typeError(name, `of type number (typecode '${t.code}', C ${t.ctype})`, value);
      if (!Number.isInteger(value)) throw rangeError(name, `an integer (typecode '${t.code}')`, value);
      if (value < (t.min as number) || value > (t.max as number)) {
        throw rangeError(name, `>= ${t.min} and <= ${t.max} (typecode '${t.code}', C ${t.ctype})`, value);
      }
      return value;
    }
    case 'bigint': {
      if (typeof value !== 'bigint') throw typeError(name, `of type bigint (typecode '${t.code}', C ${t.ctype})`, value);
      if (value < (t.min as bigint) || value > (t.max as bigint)) {
        throw rangeError(name, `>= ${t.min} and <= ${t.max} (typecode '${t.code}', C ${t.ctype})`, `${value}n`);
      }
      return value;
    }
    case 'float': {
      if (typeof value !== 'number') throw typeError(name, `of type number (typecode '${t.code}', C ${t.ctype})`, value);
      // A finite double too large for a C float would become Infinity: refuse, as struct.pack('f') does.
      if (t.size === 4 && Number.isFinite(value) && !Number.isFinite(Math.fround(value))) {
        throw rangeError(name, `within the range of a C float (about ±3.4e38)`, value);
      }
      return value;
    }
    case 'bytes':
      return checkByte(value, name);
  }
}

/** One byte for a `c` element: a 1-byte Buffer/Uint8Array, a 1-byte string, or an integer 0..255. */
export function checkByte(value: unknown, name: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 255) throw rangeError(name, 'a byte (an integer >= 0 and <= 255)', value);
    return value;
  }
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value instanceof Uint8Array ? value : null;
  if (bytes === null) throw typeError(name, "a 1-byte Buffer, Uint8Array or string, or a byte 0..255 (typecode 'c')", value);
  if (bytes.length !== 1) throw rangeError(name, "exactly 1 byte long (typecode 'c')", `${bytes.length} bytes`);
  return bytes[0]!;
}

/** Bytes for a whole `c` array: a string (UTF-8) or a Buffer/Uint8Array. */
export function checkBytes(value: unknown, name: string): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return value;
  throw typeError(name, "a Buffer, Uint8Array or string (typecode 'c')", value);
}

/** What reading an element gives back: `c` bytes become 1-byte Buffers. */
export function toElement(t: TypecodeInfo, stored: number | bigint): number | bigint | Buffer {
  return t.kind === 'bytes' ? Buffer.from([stored as number]) : stored;
}
