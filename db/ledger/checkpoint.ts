// Signed checkpoints of a village's log, in the C2SP formats used by Certificate
// Transparency's successors (tlog-checkpoint in a signed-note, Ed25519), so that generic
// transparency-log tooling can read them too. Written by hand: it is a few lines of text
// framing around node:crypto's Ed25519, and no npm package implements signed notes.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export interface LogSigner {
  /** The key name in signature lines (and in the verifier key string). */
  name: string;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
  /** `<name>+<key hash hex>+<base64(0x01 ‖ public key)>`: what a verifier pins. */
  verifierKey: string;
  sign(message: Buffer): Buffer;
}

const ED25519_ALG = 0x01;

function keyHash(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([ED25519_ALG]), publicKey]))
    .digest()
    .subarray(0, 4);
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x) throw new Error('the log key must be an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

/** A signer from an Ed25519 private key in PKCS#8 PEM. */
export function signerFromPem(name: string, pem: string): LogSigner {
  const privateKey = createPrivateKey(pem);
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return {
    name,
    publicKey,
    verifierKey: `${name}+${keyHash(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.from([ED25519_ALG]), publicKey]).toString('base64')}`,
    sign: (message) => sign(null, message, privateKey),
  };
}

export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
}

/** The checkpoint body: origin, tree size, base64 root hash, one per line. */
export function checkpointBody(c: Checkpoint): string {
  return `${c.origin}\n${c.treeSize}\n${c.rootHash.toString('base64')}\n`;
}

/** A signed note: the body, a blank line, and the signature line `— <name> <base64(key hash ‖ signature)>`. */
export function signCheckpoint(signer: LogSigner, c: Checkpoint): string {
  const body = checkpointBody(c);
  const signature = signer.sign(Buffer.from(body, 'utf8'));
  const blob = Buffer.concat([keyHash(signer.name, signer.publicKey), signature]).toString('base64');
  return `${body}\n\u2014 ${signer.name} ${blob}\n`;
}

export interface VerifierKey {
  name: string;
  publicKey: Buffer;
}

export function parseVerifierKey(text: string): VerifierKey {
  // <name>+<hash>+<key>: the base64 key may itself contain '+', so split at the first two only.
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(text.trim());
  const [, name, hash, key] = m ?? [];
  const raw = key ? Buffer.from(key, 'base64') : Buffer.alloc(0);
  if (!name || !hash || raw.length !== 33 || raw[0] !== ED25519_ALG) throw new Error(`not an Ed25519 verifier key: ${text}`);
  const publicKey = raw.subarray(1);
  if (keyHash(name, publicKey).toString('hex') !== hash) throw new Error('verifier key hash does not match its key');
  return { name, publicKey };
}

/** Verifies a signed checkpoint; returns its contents, or null if no valid signature by `key` is on it. */
export function verifyCheckpoint(note: string, key: VerifierKey): Checkpoint | null {
  const split = note.indexOf('\n\n');
  if (split < 0) return null;
  const body = note.slice(0, split + 1);
  const lines = body.split('\n');
  const [origin, size, root] = lines;
  if (lines.length !== 4 || !origin || !size || !/^\d+$/.test(size) || !root) return null;
  const publicKey = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key.publicKey]),
    format: 'der',
    type: 'spki',
  });
  const expectedHash = keyHash(key.name, key.publicKey);
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== key.name) continue;
    const blob = Buffer.from(m[2]!, 'base64');
    if (blob.length !== 68 || !blob.subarray(0, 4).equals(expectedHash)) continue;
    if (verify(null, Buffer.from(body, 'utf8'), publicKey, blob.subarray(4))) {
      const rootHash = Buffer.from(root, 'base64');
      if (rootHash.length !== 32) return null;
      return { origin, treeSize: Number(size), rootHash };
    }
  }
  return null;
}

/** The log origin of a village: the first line of its checkpoints. */
export const logOrigin = (villageCode: string) => `yangguang-cunwu/ledger/${villageCode}`;
