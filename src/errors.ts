/**
 * Typed errors of the engine. Every error a user can cause (bad spec, bad file,
 * bad message) is a TinymlError with a stable `code`, so the CLI prints one line
 * and exits non-zero, and a Node-RED node maps it to a message and a red status.
 * Anything else reaching the boundary is a bug and keeps its stack.
 */
export class TinymlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TinymlError';
  }
}

/** Input that does not match its JSON Schema (spec, dataset, msg, MQTT message). */
export class ValidationError extends TinymlError {
  constructor(message: string) {
    super('EVALIDATION', message);
    this.name = 'ValidationError';
  }
}

/** A .tflite file that is malformed or uses something the project cannot read. */
export class TfliteFormatError extends TinymlError {
  constructor(message: string) {
    super('ETFLITE', message);
    this.name = 'TfliteFormatError';
  }
}

/** A model, layer or op the converter or interpreter does not support. */
export class UnsupportedError extends TinymlError {
  constructor(message: string) {
    super('EUNSUPPORTED', message);
    this.name = 'UnsupportedError';
  }
}

/** A part that is specified but not built yet; says which issue brings it. */
export class NotImplementedError extends TinymlError {
  constructor(message: string) {
    super('ENOTIMPL', message);
    this.name = 'NotImplementedError';
  }
}

/** Deployment or device-side protocol failure (refused, timed out, checksum). */
export class FleetError extends TinymlError {
  constructor(message: string) {
    super('EFLEET', message);
    this.name = 'FleetError';
  }
}

export function isTinymlError(err: unknown): err is TinymlError {
  return err instanceof TinymlError;
}
