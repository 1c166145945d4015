/**
 * A flatbuffers ByteBuffer that checks every read against the file's bounds.
 *
 * The generated accessors trust the file: an offset past the end reads
 * `undefined` as 0, a huge vector length loops for ever. Every access of the
 * generated code goes through the primitives overridden here, so a hostile
 * file fails with a TfliteFormatError naming the byte offset instead.
 * Offsets to sub-objects (uoffset_t) are unsigned and point forward
 * (FlatBuffers binary format), which this buffer enforces, so no reference can
 * loop back and every walk over the file ends.
 */
import * as flatbuffers from 'flatbuffers';
import { TfliteFormatError } from '../errors';

export class CheckedByteBuffer extends flatbuffers.ByteBuffer {
  private readonly size: number;

  constructor(bytes: Uint8Array) {
    super(bytes);
    this.size = bytes.length;
  }

  private check(offset: number, width: number, what: string): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + width > this.size) {
      throw new TfliteFormatError(
        `${what} at byte ${offset} (+${width}) is outside the file (${this.size} bytes)`,
      );
    }
  }

  /** Follows a uoffset stored at `offset`: forward, inside the file. */
  private forward(offset: number, what: string): number {
    this.check(offset, 4, what);
    const rel = super.readUint32(offset);
    const target = offset + rel;
    if (rel === 0 || target >= this.size) {
      throw new TfliteFormatError(
        `${what} at byte ${offset} points to byte ${target}, outside the file (${this.size} bytes)`,
      );
    }
    return target;
  }

  override readInt8(offset: number): number {
    this.check(offset, 1, 'int8');
    return super.readInt8(offset);
  }
  override readUint8(offset: number): number {
    this.check(offset, 1, 'uint8');
    return super.readUint8(offset);
  }
  override readInt16(offset: number): number {
    this.check(offset, 2, 'int16');
    return super.readInt16(offset);
  }
  override readUint16(offset: number): number {
    this.check(offset, 2, 'uint16');
    return super.readUint16(offset);
  }
  override readInt32(offset: number): number {
    this.check(offset, 4, 'int32');
    return super.readInt32(offset);
  }
  override readUint32(offset: number): number {
    this.check(offset, 4, 'uint32');
    return super.readUint32(offset);
  }
  override readInt64(offset: number): bigint {
    this.check(offset, 8, 'int64');
    return super.readInt64(offset);
  }
  override readUint64(offset: number): bigint {
    this.check(offset, 8, 'uint64');
    return super.readUint64(offset);
  }
  override readFloat32(offset: number): number {
    this.check(offset, 4, 'float32');
    return super.readFloat32(offset);
  }
  override readFloat64(offset: number): number {
    this.check(offset, 8, 'float64');
    return super.readFloat64(offset);
  }

  /** Field lookup through the table's vtable, with the vtable itself checked. */
  override __offset(bbPos: number, vtableOffset: number): number {
    this.check(bbPos, 4, 'table');
    const vtable = bbPos - super.readInt32(bbPos);
    this.check(vtable, 4, `vtable of table at byte ${bbPos}`);
    const vtableSize = super.readUint16(vtable);
    const tableSize = super.readUint16(vtable + 2);
    if (vtableSize < 4 || vtableSize % 2 !== 0) {
      throw new TfliteFormatError(`vtable at byte ${vtable} has invalid size ${vtableSize}`);
    }
    this.check(vtable, vtableSize, `vtable of table at byte ${bbPos}`);
    this.check(bbPos, tableSize, `table at byte ${bbPos}`);
    if (vtableOffset >= vtableSize) return 0;
    const field = super.readUint16(vtable + vtableOffset);
    if (field !== 0 && field >= tableSize) {
      throw new TfliteFormatError(
        `table at byte ${bbPos}: field offset ${field} lies outside the table (${tableSize} bytes)`,
      );
    }
    return field;
  }

  override __indirect(offset: number): number {
    return this.forward(offset, 'reference');
  }

  override __union(t: flatbuffers.Table, offset: number): flatbuffers.Table {
    t.bb_pos = this.forward(offset, 'union');
    t.bb = this;
    return t;
  }

  override __vector(offset: number): number {
    return this.forward(offset, 'vector') + 4;
  }

  /** Vector length, checked so that even 1-byte elements fit in the file. */
  override __vector_len(offset: number): number {
    const start = this.forward(offset, 'vector');
    this.check(start, 4, 'vector length');
    const length = super.readUint32(start);
    if (start + 4 + length > this.size) {
      throw new TfliteFormatError(
        `vector at byte ${start} claims ${length} elements, more than the file holds`,
      );
    }
    return length;
  }

  override __string(offset: number, encoding?: flatbuffers.Encoding): string | Uint8Array {
    const start = this.forward(offset, 'string');
    this.check(start, 4, 'string length');
    const length = super.readUint32(start);
    this.check(start + 4, length, 'string');
    return super.__string(offset, encoding);
  }

  /** Bytes of a vector of `elementSize`-byte elements, checked, without copying. */
  vectorBytes(offset: number, elementSize: number, what: string): Uint8Array {
    const start = this.forward(offset, what);
    this.check(start, 4, `${what} length`);
    const length = super.readUint32(start);
    const byteLength = length * elementSize;
    this.check(start + 4, byteLength, what);
    return this.bytes().subarray(start + 4, start + 4 + byteLength);
  }
}
