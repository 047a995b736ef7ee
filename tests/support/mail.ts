// Reading what a test SMTP server received: enough of RFC 5322 / MIME for the single-part text
// messages the notifier sends (mailparser would do it, but this is all the tests need).
import { expect } from 'vitest';

export interface Mail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  headers: Map<string, string>;
}

/** RFC 2047 encoded words (=?UTF-8?B?…?= / =?UTF-8?Q?…?=), adjacent ones joined. */
function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset: string, enc: string, data: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      expect(charset.toLowerCase()).toBe('utf-8');
      return bytes.toString('utf8');
    });
}

/** Enough of RFC 5322 / MIME for the single-part text messages the notifier sends. */
export function parseMail(raw: string, to: string[]): Mail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  expect(headers.get('content-type')).toMatch(/^text\/plain; charset=utf-8/i);
  let body = raw.slice(split + 4);
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  else if (encoding === 'quoted-printable') {
    body = Buffer.from(
      body.replace(/=\r\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  }
  return { to, from: decodeWords(headers.get('from') ?? ''), subject: decodeWords(headers.get('subject') ?? ''), text: body.replace(/\r\n/g, '\n'), headers };
}

