// Streaming multipart uploads: each file goes straight to a temporary file, hashed on the way,
// so an upload's size never sits in memory. Size limits answer 413.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Context } from 'hono';
import { DomainError } from '../db/errors.ts';
import type { UploadedFile } from '../db/ledger/import.ts';

export interface Uploads {
  files: UploadedFile[];
  /** Removes the temporary files. */
  cleanup(): Promise<void>;
}

export interface UploadLimits {
  field: string;
  maxFiles: number;
  maxFileBytes: number;
}

/** Reads the multipart body of the request, saving the files of `field`; other fields are refused. */
export async function receiveFiles(c: Context, limits: UploadLimits): Promise<Uploads> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('multipart/form-data')) {
    throw new DomainError('unsupported_type', 'multipart_required', `请以 multipart/form-data 上传，文件字段名为 ${limits.field}`);
  }
  const body = c.req.raw.body;
  if (!body) throw new DomainError('invalid', 'no_file', '请求中没有文件');
  const dir = await mkdtemp(path.join(tmpdir(), 'ygcw-upload-'));
  const files: UploadedFile[] = [];
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': type },
        limits: { files: limits.maxFiles, fileSize: limits.maxFileBytes, fields: 10, fieldSize: 1024 },
        defParamCharset: 'utf8',
      });
    } catch {
      throw new DomainError('invalid', 'multipart_invalid', 'multipart 请求格式有误');
    }
    const writes: Promise<void>[] = [];
    let failure: DomainError | null = null;
    parser.on('file', (name, stream, info) => {
      if (name !== limits.field) {
        failure ??= new DomainError('invalid', 'unknown_field', `不认识的表单字段：${name}（文件字段名为 ${limits.field}）`);
        stream.resume();
        return;
      }
      const target = path.join(dir, `upload-${files.length}`);
      const hash = createHash('sha256');
      const file: UploadedFile = { path: target, name: info.filename || 'upload', size: 0, sha256: '' };
      files.push(file);
      stream.on('limit', () => {
        failure ??= new DomainError('too_large', 'file_too_large', `文件 ${file.name} 超过 ${limits.maxFileBytes} 字节的限制`);
      });
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          file.size += chunk.length;
          hash.update(chunk);
          done(null, chunk);
        },
      });
      writes.push(
        pipeline(stream, count, createWriteStream(target)).then(() => {
          file.sha256 = hash.digest('hex');
        }),
      );
    });
    parser.on('filesLimit', () => {
      failure ??= new DomainError('invalid', 'too_many_files', `一次最多上传 ${limits.maxFiles} 个文件`);
    });
    await pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream), parser).catch((err: unknown) => {
      if (err instanceof DomainError) throw err;
      if (err instanceof Error && err.name === 'BodyLimitError') {
        throw new DomainError('too_large', 'too_large', '上传内容超过请求大小限制');
      }
      throw new DomainError('invalid', 'multipart_invalid', `multipart 请求格式有误：${err instanceof Error ? err.message : String(err)}`);
    });
    await Promise.all(writes);
    if (failure) throw failure;
    if (!files.length) throw new DomainError('invalid', 'no_file', `请求中没有文件（字段名 ${limits.field}）`);
    return { files, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
