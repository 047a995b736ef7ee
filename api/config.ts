// The process configuration: read from the environment once, at start, and passed in.
import path from 'node:path';
import { z } from 'zod';

const flag = z.enum(['0', '1']).transform((v) => v === '1');

export const configSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4321),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL 须为 postgres:// 或 postgresql:// 开头的地址')
    .optional(),
  ADMIN_PASSWORD: z.string().min(10, 'ADMIN_PASSWORD 至少 10 个字符').optional(),
  /** 1: load the demo county into an empty database; 0: never; unset: only into an empty embedded one. */
  DEMO: flag.optional(),
  /** Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy in front. */
  TRUST_PROXY: flag.default(false),
  /** Ed25519 private key (PKCS#8 PEM) that signs log checkpoints; default: DATA_DIR/log-signing-key.pem, made at first start. */
  LOG_SIGNING_KEY: z.string().includes('PRIVATE KEY', { message: 'LOG_SIGNING_KEY 须为 PKCS#8 PEM 私钥' }).optional(),
  /** Name of the log key in signed checkpoints. */
  LOG_KEY_NAME: z.string().regex(/^[\x21-\x7e]+$/, 'LOG_KEY_NAME 须为不含空格的 ASCII').refine((s) => !s.includes('+'), 'LOG_KEY_NAME 不能含 +').default('yangguang-cunwu'),
  /** Largest JSON request body in bytes. */
  BODY_LIMIT_JSON: z.coerce.number().int().positive().default(1024 * 1024),
  /** Largest upload (multipart) in bytes. */
  BODY_LIMIT_UPLOAD: z.coerce.number().int().positive().default(50 * 1024 * 1024),
});

export type Config = {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  adminPassword: string | undefined;
  demo: boolean | undefined;
  trustProxy: boolean;
  bodyLimitJson: number;
  bodyLimitUpload: number;
  logSigningKey: string | undefined;
  logKeyName: string;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; empty variables count as unset. Throws ConfigError naming each bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`配置有误 (invalid configuration):\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return {
    host: c.HOST,
    port: c.PORT,
    dataDir: path.resolve(c.DATA_DIR),
    databaseUrl: c.DATABASE_URL,
    adminPassword: c.ADMIN_PASSWORD,
    demo: c.DEMO,
    trustProxy: c.TRUST_PROXY,
    bodyLimitJson: c.BODY_LIMIT_JSON,
    bodyLimitUpload: c.BODY_LIMIT_UPLOAD,
    logSigningKey: c.LOG_SIGNING_KEY,
    logKeyName: c.LOG_KEY_NAME,
  };
}
