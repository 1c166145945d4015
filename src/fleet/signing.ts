/**
 * Ed25519 signatures over manifests (RFC 8032, as node:crypto implements
 * it). `tinyml keygen` writes the private key as PKCS#8 PEM (for the
 * deployer) and the public key as SPKI PEM and as 64 hex digits (the raw
 * 32-byte key a C device compiles in). A device configured with the public
 * key accepts only manifests whose signature verifies.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { ValidationError } from '../errors';

/** DER prefix of an SPKI Ed25519 public key (RFC 8410 §4): the raw 32 bytes follow. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface KeyPair {
  privatePem: string;
  publicPem: string;
  publicHex: string;
}

export function generateSigningKeys(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicHex: rawPublicKey(publicKey).toString('hex'),
  };
}

function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

/**
 * A PEM pasted into a one-line field loses its line breaks; PEM (RFC 7468)
 * needs them around the base64 body. Puts them back.
 */
export function normalizePem(text: string): string {
  const m = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(text.trim());
  if (!m) return text;
  const body = m[2].replace(/\s+/g, '');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${m[1]}-----\n${lines.join('\n')}\n-----END ${m[1]}-----\n`;
}

export function loadPrivateKey(pem: string, what = 'signing key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(normalizePem(pem));
  } catch (err) {
    throw new ValidationError(`${what} is not a PEM private key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ValidationError(`${what} is a ${key.asymmetricKeyType} key, expected ed25519`);
  }
  return key;
}

/** A public key from SPKI PEM or from the raw key as 64 hex digits. */
export function loadPublicKey(text: string, what = 'public key'): KeyObject {
  const t = text.trim();
  let key: KeyObject;
  try {
    if (/^[0-9a-fA-F]{64}$/.test(t)) {
      key = createPublicKey({
        key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(t, 'hex')]),
        format: 'der',
        type: 'spki',
      });
    } else {
      key = createPublicKey(normalizePem(t));
    }
  } catch (err) {
    throw new ValidationError(
      `${what} is neither a PEM public key nor 64 hex digits: ${(err as Error).message}`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ValidationError(`${what} is a ${key.asymmetricKeyType} key, expected ed25519`);
  }
  return key;
}

/** The public half of a private key. */
export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}

export function publicKeyHex(key: KeyObject): string {
  return rawPublicKey(key.type === 'private' ? createPublicKey(key) : key).toString('hex');
}

/** The 64-byte Ed25519 signature of `bytes`. */
export function signBytes(privateKey: KeyObject, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, bytes, privateKey));
}

export function verifyBytes(
  publicKey: KeyObject,
  bytes: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(null, bytes, publicKey, signature);
  } catch {
    return false;
  }
}
