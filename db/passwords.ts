// Password hashing with node:crypto scrypt (a memory-hard KDF; no native add-on, nothing to
// build). Parameters follow OWASP's scrypt recommendation (N=2^17, r=8, p=1) and are stored
// with each hash, so they can be raised later without invalidating existing passwords.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );

export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { logN: 17, r: 8, p: 1 };
const KEY_LENGTH = 32;

const options = ({ logN, r, p }: ScryptParams): ScryptOptions => ({
  N: 2 ** logN,
  r,
  p,
  maxmem: 2 * 128 * r * 2 ** logN, // twice what scrypt needs, so Node does not refuse it
});

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options(params));
  return ['scrypt', params.logN, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, logN, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !logN || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(
    password.normalize('NFC'),
    Buffer.from(salt, 'base64'),
    expected.length,
    options({ logN: Number(logN), r: Number(r), p: Number(p) }),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash of nothing anybody knows, verified against when the username does not exist, so that
 * an unknown user takes as long to refuse as a wrong password. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  return decoy;
}
