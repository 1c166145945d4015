/**
 * MAXIMUM and MINIMUM with broadcasting (micro/kernels/maximum_minimum.cc,
 * reference/maximum_minimum.h): the larger (smaller) raw value of each pair.
 * TFLM compares the stored values without requantizing, so int8 inputs are
 * meant to share the output's quantization (the converter gives them one).
 */
import { binaryKernel } from './binary-op';

const TYPES = ['float32', 'int8', 'int16', 'int32', 'int64'];

export const maximum = binaryKernel(TYPES, () => (a, b) => (a > b ? a : b));
export const minimum = binaryKernel(TYPES, () => (a, b) => (a < b ? a : b));
