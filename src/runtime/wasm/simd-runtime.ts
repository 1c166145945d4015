/**
 * The memory the SIMD kernels work in: one WebAssembly.Memory holding the
 * planned arena at offset 0 (so every tensor and scratch view is addressable
 * by the kernels through its byteOffset) followed by the persistent data the
 * kernels copy in once at load (weights in the layouts the kernels read,
 * biases, multipliers), as TFLM keeps persistent buffers in its arena's tail.
 * The memory is sized once and never grows, so views stay valid.
 */
import { instantiateInt8Kernels, int8KernelModule, type Int8Kernels } from './int8-kernels';

const PAGE = 65536;
/** Vector loads may read up to 15 bytes past a tensor's last element (their weights are zero). */
const OVERREAD_SLACK = 64;

export function alignTo16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/** Whether this JavaScript engine runs the WebAssembly SIMD kernels. */
export function simdAvailable(): boolean {
  return typeof WebAssembly === 'object' && int8KernelModule() !== null;
}

export class SimdRuntime {
  readonly memory: WebAssembly.Memory;
  readonly kernels: Int8Kernels;
  private next: number;
  private readonly end: number;

  constructor(arenaBytes: number, persistentBytes: number) {
    const bytes = alignTo16(arenaBytes) + persistentBytes + OVERREAD_SLACK;
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
    const kernels = instantiateInt8Kernels(this.memory);
    if (!kernels) throw new Error('WebAssembly SIMD is not available');
    this.kernels = kernels;
    this.next = alignTo16(arenaBytes);
    this.end = this.next + persistentBytes;
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** `bytes` of persistent memory (16-byte aligned); kernels reserve them in prepare(). */
  alloc(bytes: number): number {
    const at = this.next;
    this.next += alignTo16(bytes);
    if (this.next > this.end) {
      throw new Error(
        `SIMD persistent memory exhausted: ${this.next - this.end} bytes more than reserved`,
      );
    }
    return at;
  }

  int8(ptr: number, count: number): Int8Array {
    return new Int8Array(this.memory.buffer, ptr, count);
  }

  int32(ptr: number, count: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, count);
  }

  /** Copies int32 values into fresh persistent memory; returns the pointer. */
  int32Array(values: ArrayLike<number>): number {
    const ptr = this.alloc(values.length * 4);
    this.int32(ptr, values.length).set(values);
    return ptr;
  }
}
