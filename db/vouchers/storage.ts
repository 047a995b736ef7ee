// Where voucher files live. The interface is small so an object store can replace the
// filesystem later; keys are content addressed (`originals/ab/cdef…`), so a key once
// written never changes and writing it again is a no-op.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DomainError } from '../errors.ts';

export interface BlobStore {
  /** Stores a buffer, or copies in the file at a path (the caller keeps and removes its file). Does nothing if the key exists. */
  put(key: string, source: Buffer | string): Promise<void>;
  has(key: string): Promise<boolean>;
  /** A Node.js stream of the stored bytes (`Readable.toWeb` turns it into a web stream), or null if absent. */
  open(key: string): Promise<Readable | null>;
  /** Size in bytes, or null if absent. */
  size(key: string): Promise<number | null>;
  /** Removes the key; removing an absent key is not an error. */
  delete(key: string): Promise<void>;
}

// Segments start with a letter or digit, so neither `..` nor our dot-prefixed temp files can be named.
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const isValidBlobKey = (key: string): boolean =>
  key.length > 0 && key.length <= 512 && key.split('/').every((segment) => SEGMENT.test(segment));

const isMissing = (e: unknown): boolean => (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';

export function createFileStore(rootDir: string): BlobStore {
  const root = path.resolve(rootDir);

  const pathOf = (key: string): string => {
    if (!isValidBlobKey(key)) throw new DomainError('invalid', 'blob_key', `存储键不合法：${JSON.stringify(key)}`);
    return path.join(root, ...key.split('/'));
  };

  const statFile = async (key: string) => {
    try {
      const stats = await fs.stat(pathOf(key));
      return stats.isFile() ? stats : null;
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  };

  return {
    async put(key, source) {
      const target = pathOf(key);
      if (await statFile(key)) return;
      const dir = path.dirname(target);
      await fs.mkdir(dir, { recursive: true });
      const temp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        if (typeof source === 'string') await fs.copyFile(source, temp, constants.COPYFILE_EXCL);
        else await fs.writeFile(temp, source, { flag: 'wx' });
        const handle = await fs.open(temp, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        // Concurrent puts of one key race harmlessly: same content, and rename replaces atomically.
        await fs.rename(temp, target);
      } catch (e) {
        await fs.rm(temp, { force: true });
        throw e;
      }
      // Make the rename itself durable.
      const dirHandle = await fs.open(dir, 'r');
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    },

    async has(key) {
      return (await statFile(key)) !== null;
    },

    async open(key) {
      const file = pathOf(key);
      // Opening first turns a missing file into null rather than a stream error later.
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(file, 'r');
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        return null;
      }
      return handle.createReadStream();
    },

    async size(key) {
      return (await statFile(key))?.size ?? null;
    },

    async delete(key) {
      await fs.rm(pathOf(key), { force: true });
    },
  };
}
