import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../db/passwords.ts';

describe('password hashing (scrypt)', () => {
  it('verifies the right password and refuses others', async () => {
    const hash = await hashPassword('村务公开-2025');
    expect(hash).toMatch(/^scrypt\$17\$8\$1\$/);
    expect(hash).not.toContain('村务公开');
    expect(await verifyPassword('村务公开-2025', hash)).toBe(true);
    expect(await verifyPassword('村务公开-2026', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same-password')).not.toBe(await hashPassword('same-password'));
  });

  it('verifies hashes made with other parameters (they are stored with the hash)', async () => {
    const cheap = await hashPassword('older-password', { logN: 14, r: 8, p: 1 });
    expect(cheap.startsWith('scrypt$14$8$1$')).toBe(true);
    expect(await verifyPassword('older-password', cheap)).toBe(true);
  });

  it('treats composed and decomposed Unicode alike', async () => {
    const hash = await hashPassword('cafe\u0301-password');
    expect(await verifyPassword('caf\u00e9-password', hash)).toBe(true);
  });

  it.each(['', 'bcrypt$x', 'scrypt$17$8$1$onlysalt'])('refuses a malformed stored hash %j', async (stored) => {
    expect(await verifyPassword('anything', stored)).toBe(false);
  });
});
