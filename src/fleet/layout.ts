/**
 * The chunk index space of one transfer, shared by the deployer and the
 * device: indices 0..mChunks-1 carry the manifest section (the manifest's
 * JSON bytes, then its 64-byte Ed25519 signature when signed), indices
 * mChunks..mChunks+chunks-1 carry the model. Both sections start at a chunk
 * boundary, so model chunk j lands at slot offset j × chunkSize and a device
 * writes it to flash without buffering.
 */
import { SIGNATURE_BYTES, type Offer } from './messages';

export class TransferLayout {
  readonly total: number;
  readonly manifestSectionBytes: number;

  constructor(readonly offer: Offer) {
    this.manifestSectionBytes = offer.mSize + (offer.signed ? SIGNATURE_BYTES : 0);
    this.total = offer.mChunks + offer.chunks;
  }

  /** Why the offer's numbers are inconsistent, or undefined when they add up. */
  static problem(offer: Offer): string | undefined {
    const section = offer.mSize + (offer.signed ? SIGNATURE_BYTES : 0);
    if (offer.mChunks !== Math.ceil(section / offer.chunkSize)) {
      return `offer: ${offer.mChunks} manifest chunks of ${offer.chunkSize} bytes cannot hold ${section} bytes`;
    }
    if (offer.chunks !== Math.ceil(offer.size / offer.chunkSize)) {
      return `offer: ${offer.chunks} chunks of ${offer.chunkSize} bytes cannot hold ${offer.size} bytes`;
    }
    if (offer.ackEvery > offer.window) {
      return `offer: ackEvery ${offer.ackEvery} exceeds the window of ${offer.window}`;
    }
    return undefined;
  }

  isManifest(index: number): boolean {
    return index < this.offer.mChunks;
  }

  /** Byte offset of chunk `index` within its section. */
  sectionOffset(index: number): number {
    const i = this.isManifest(index) ? index : index - this.offer.mChunks;
    return i * this.offer.chunkSize;
  }

  /** Data bytes chunk `index` must carry. */
  expectedLength(index: number): number {
    const sectionBytes = this.isManifest(index) ? this.manifestSectionBytes : this.offer.size;
    return Math.min(this.offer.chunkSize, sectionBytes - this.sectionOffset(index));
  }
}
