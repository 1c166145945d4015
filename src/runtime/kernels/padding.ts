/**
 * Output size and implicit padding of convolutions and pooling
 * (tensorflow/lite/kernels/padding.h): SAME gives ceil(in / stride) outputs
 * and pads (out - 1) * stride + effective_filter - in in total, the smaller
 * half before; VALID gives ceil((in - effective_filter + 1) / stride) and no
 * padding. effective_filter = (filter - 1) * dilation + 1.
 */
import type { PaddingName } from '../../tflite/model';

export interface PaddingValues {
  height: number;
  width: number;
  outHeight: number;
  outWidth: number;
}

function effectiveFilterSize(filter: number, dilation: number): number {
  return (filter - 1) * dilation + 1;
}

export function computeOutSize(
  padding: PaddingName,
  imageSize: number,
  filterSize: number,
  stride: number,
  dilation: number,
): number {
  const effective = effectiveFilterSize(filterSize, dilation);
  const value =
    padding === 'SAME'
      ? Math.trunc((imageSize + stride - 1) / stride)
      : Math.trunc((imageSize + stride - effective) / stride);
  return Math.max(value, 0);
}

function computePadding(
  stride: number,
  dilation: number,
  inSize: number,
  filterSize: number,
  outSize: number,
): number {
  const total = (outSize - 1) * stride + effectiveFilterSize(filterSize, dilation) - inSize;
  return Math.trunc(Math.max(total, 0) / 2);
}

export function computePaddingHeightWidth(
  strideHeight: number,
  strideWidth: number,
  dilationHeight: number,
  dilationWidth: number,
  inHeight: number,
  inWidth: number,
  filterHeight: number,
  filterWidth: number,
  padding: PaddingName,
): PaddingValues {
  const outWidth = computeOutSize(padding, inWidth, filterWidth, strideWidth, dilationWidth);
  const outHeight = computeOutSize(padding, inHeight, filterHeight, strideHeight, dilationHeight);
  return {
    height: computePadding(strideHeight, dilationHeight, inHeight, filterHeight, outHeight),
    width: computePadding(strideWidth, dilationWidth, inWidth, filterWidth, outWidth),
    outHeight,
    outWidth,
  };
}

/** First filter tap k with origin + dilation * k >= 0. */
export function tapStart(origin: number, dilation: number, filter: number): number {
  return origin >= 0 ? 0 : Math.min(Math.ceil(-origin / dilation), filter);
}

/** One past the last filter tap k with origin + dilation * k < size. */
export function tapEnd(origin: number, dilation: number, filter: number, size: number): number {
  return Math.max(Math.min(filter, Math.ceil((size - origin) / dilation)), 0);
}
