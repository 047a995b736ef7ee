import { crc32, deflateRawSync } from 'node:zlib';

// ---------------------------------------------------------------------------------------------
// A tiny ZIP writer: honest by default, every header field overridable for hostile archives.

export interface ZipEntrySpec {
  name: string | Buffer;
  data?: Buffer | string;
  /** 0 stored, 8 deflated (default). */
  method?: number;
  utf8Flag?: boolean;
  flags?: number;
  extra?: Buffer;
  /** Lies written into both headers. */
  declaredSize?: number;
}

export function zipBytes(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const spec of entries) {
    const name = typeof spec.name === 'string' ? Buffer.from(spec.name, 'utf8') : spec.name;
    const data = typeof spec.data === 'string' ? Buffer.from(spec.data, 'utf8') : (spec.data ?? Buffer.alloc(0));
    const method = spec.method ?? 8;
    const body = method === 8 ? deflateRawSync(data) : data;
    const extra = spec.extra ?? Buffer.alloc(0);
    const flags = (spec.flags ?? 0) | (spec.utf8Flag ? 0x800 : 0);
    const size = spec.declaredSize ?? data.length;
    const common = (header: Buffer, at: number) => {
      header.writeUInt16LE(flags, at);
      header.writeUInt16LE(method, at + 2);
      header.writeUInt16LE(0, at + 4); // time
      header.writeUInt16LE(0x5a21, at + 6); // date 2025-01-01
      header.writeUInt32LE(crc32(data), at + 8);
      header.writeUInt32LE(body.length, at + 12);
      header.writeUInt32LE(size, at + 16);
      header.writeUInt16LE(name.length, at + 20);
      header.writeUInt16LE(extra.length, at + 22);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    common(local, 6);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    common(central, 8);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, extra, body);
    centrals.push(central, name, extra);
    offset += local.length + name.length + extra.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

