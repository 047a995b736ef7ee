// The key that signs the ledger log's checkpoints: from LOG_SIGNING_KEY, or a file in
// DATA_DIR made at first start. Never stored in the database (whoever could change the
// ledger there must not also be able to re-sign it).
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { signerFromPem, type LogSigner } from '../db/ledger/checkpoint.ts';
import type { Config } from './config.ts';

export function logKeyPath(dataDir: string) {
  return path.join(dataDir, 'log-signing-key.pem');
}

export function newLogKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function loadLogSigner(config: Config, log: (line: string) => void = console.log): LogSigner {
  if (config.logSigningKey) return signerFromPem(config.logKeyName, config.logSigningKey);
  const file = logKeyPath(config.dataDir);
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, newLogKeyPem(), { mode: 0o600, flag: 'wx' });
    log(`已生成账目日志签名密钥 (log signing key created): ${file} — 请备份 (back it up)`);
  }
  return signerFromPem(config.logKeyName, readFileSync(file, 'utf8'));
}
