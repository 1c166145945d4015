/**
 * Reads the 8-bit palettised BMP files of TFLM's person_detection testdata
 * (BITMAPINFOHEADER, 256-entry grey palette, rows stored bottom-up) and
 * returns the pixel bytes top row first, as the TFLM example feeds them.
 */
export function readGreyBmp(bytes: Uint8Array): {
  width: number;
  height: number;
  pixels: Uint8Array;
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0x42 || bytes[1] !== 0x4d) throw new Error('not a BMP file');
  const dataOffset = view.getUint32(10, true);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bits = view.getUint16(28, true);
  if (bits !== 8) throw new Error(`expected 8 bits per pixel, got ${bits}`);
  const height = Math.abs(rawHeight);
  const stride = Math.ceil(width / 4) * 4;
  const pixels = new Uint8Array(width * height);
  for (let row = 0; row < height; row++) {
    const stored = rawHeight > 0 ? height - 1 - row : row;
    pixels.set(
      bytes.subarray(dataOffset + stored * stride, dataOffset + stored * stride + width),
      row * width,
    );
  }
  return { width, height, pixels };
}
