// The process configuration: read from the environment once, at start, and passed in.
import path from 'node:path';
import { z } from 'zod';

const flag = z.enum(['0', '1']).transform((v) => v === '1');
/** A five-field cron expression (minute hour day month weekday), or `off`. */
const cron = z
  .string()
  .trim()
  .regex(/^(off|\S+( \S+){4})$/, '须为五段式 cron 表达式（如 30 2 * * *）或 off')
  .transform((v) => (v === 'off' ? null : v));

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
  /** Cron (Asia/Shanghai) of the nightly full check run; `off`: none. */
  CHECKS_SCHEDULE: cron.default('30 2 * * *'),
  /** Counties a check run checks at once on PostgreSQL (one connection each); the embedded database checks one at a time. */
  CHECKS_CONCURRENCY: z.coerce.number().int('CHECKS_CONCURRENCY 须为 1–16 的整数').min(1, 'CHECKS_CONCURRENCY 须为 1–16 的整数').max(16, 'CHECKS_CONCURRENCY 须为 1–16 的整数').default(2),
  /** Cron (Asia/Shanghai) of the inspectors' daily digest of the day before; `off`: none. */
  DIGEST_SCHEDULE: cron.default('0 8 * * *'),
  /** Largest JSON request body in bytes. */
  BODY_LIMIT_JSON: z.coerce.number().int().positive().default(1024 * 1024),
  /** Largest upload (multipart) in bytes. */
  BODY_LIMIT_UPLOAD: z.coerce.number().int().positive().default(50 * 1024 * 1024),
  /** SMTP server for e-mail notifications (smtp://user:pass@host:587 or smtps://…:465); unset: no e-mail. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, hostname: /./, error: 'SMTP_URL 须为 smtp:// 或 smtps:// 开头的地址' }).optional(),
  /** Sender of notification e-mails. */
  MAIL_FROM: z
    .string()
    .regex(/^[^\r\n]*[^\s@<>]+@[^\s@<>]+>?\s*$/, 'MAIL_FROM 须为邮件地址，如 阳光村务 <noreply@example.org>')
    .default('阳光村务 <noreply@localhost>'),
  /** URL that receives a signed POST for every new high-severity alert; needs ALERT_WEBHOOK_SECRET. */
  ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/, hostname: /./, error: 'ALERT_WEBHOOK_URL 须为 http:// 或 https:// 开头的地址' }).optional(),
  /** HMAC-SHA256 key of the webhook's signature. */
  ALERT_WEBHOOK_SECRET: z.string().min(16, 'ALERT_WEBHOOK_SECRET 至少 16 个字符').optional(),
  /** Public base URL of the portal, for links in notifications; default http://HOST:PORT. */
  SITE_URL: z.url({ protocol: /^https?$/, hostname: /./, error: 'SITE_URL 须为 http:// 或 https:// 开头的地址' }).optional(),
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
  checksSchedule: string | null;
  /** Counties a check run checks at once (PostgreSQL only). */
  checksConcurrency: number;
  digestSchedule: string | null;
  /** SMTP URL for notification e-mails; undefined: no e-mail. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Where new high-severity alerts are POSTed, signed with the secret (HMAC-SHA256). */
  alertWebhook: { url: string; secret: string } | undefined;
  /** Public base URL for links (no trailing slash). */
  siteUrl: string;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; empty variables count as unset. Throws ConfigError naming each bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  const lines = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  if (parsed.success && !parsed.data.ALERT_WEBHOOK_URL !== !parsed.data.ALERT_WEBHOOK_SECRET) {
    const missing = parsed.data.ALERT_WEBHOOK_URL ? 'ALERT_WEBHOOK_SECRET' : 'ALERT_WEBHOOK_URL';
    lines.push(`  ${missing}: ALERT_WEBHOOK_URL 与 ALERT_WEBHOOK_SECRET 须同时设置`);
  }
  if (!parsed.success || lines.length) {
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
    checksSchedule: c.CHECKS_SCHEDULE,
    checksConcurrency: c.CHECKS_CONCURRENCY,
    digestSchedule: c.DIGEST_SCHEDULE,
    smtpUrl: c.SMTP_URL,
    mailFrom: c.MAIL_FROM.trim(),
    alertWebhook: c.ALERT_WEBHOOK_URL && c.ALERT_WEBHOOK_SECRET ? { url: c.ALERT_WEBHOOK_URL, secret: c.ALERT_WEBHOOK_SECRET } : undefined,
    siteUrl: (c.SITE_URL ?? `http://${c.HOST.includes(':') ? `[${c.HOST}]` : c.HOST}:${c.PORT}`).replace(/\/+$/, ''),
  };
}
