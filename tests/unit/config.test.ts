import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../api/config.ts';

describe('configuration', () => {
  it('has the defaults of interchange.md', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 4321, dataDir: path.resolve('./data'), demo: undefined });
    expect(c.databaseUrl).toBeUndefined();
  });

  it('reads every variable', () => {
    const c = parseConfig({
      HOST: '0.0.0.0',
      PORT: '8080',
      DATA_DIR: '/srv/yg',
      DATABASE_URL: 'postgres://u:p@db:5432/yg',
      ADMIN_PASSWORD: 'a-long-password',
      DEMO: '0',
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      dataDir: '/srv/yg',
      databaseUrl: 'postgres://u:p@db:5432/yg',
      adminPassword: 'a-long-password',
      demo: false,
    });
    expect(parseConfig({ DEMO: '1' }).demo).toBe(true);
  });

  it('reads the notification settings', () => {
    const c = parseConfig({
      SMTP_URL: 'smtps://alerts:pa%40ss@smtp.example.org:465',
      MAIL_FROM: '青山县纪委 <jiwei@example.org>',
      ALERT_WEBHOOK_URL: 'https://hooks.example.org/yangguang',
      ALERT_WEBHOOK_SECRET: 'a-secret-of-16-chars',
      SITE_URL: 'https://cunwu.example.org/',
    });
    expect(c).toMatchObject({
      smtpUrl: 'smtps://alerts:pa%40ss@smtp.example.org:465',
      mailFrom: '青山县纪委 <jiwei@example.org>',
      alertWebhook: { url: 'https://hooks.example.org/yangguang', secret: 'a-secret-of-16-chars' },
      siteUrl: 'https://cunwu.example.org',
    });
    expect(parseConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' }).smtpUrl).toBe('smtp://127.0.0.1:2525');
  });

  it('has no e-mail and no webhook by default, and links to the server itself', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ smtpUrl: undefined, alertWebhook: undefined, siteUrl: 'http://127.0.0.1:4321' });
    expect(c.mailFrom).toMatch(/<noreply@localhost>$/);
    expect(parseConfig({ HOST: 'portal.local', PORT: '8080' }).siteUrl).toBe('http://portal.local:8080');
    expect(parseConfig({ HOST: '::1' }).siteUrl).toBe('http://[::1]:4321');
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig({ DATABASE_URL: '', PORT: '' })).toMatchObject({ databaseUrl: undefined, port: 4321 });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DEMO: 'yes' }, 'DEMO'],
    [{ ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD'],
    [{ SMTP_URL: 'http://mail.example.org' }, 'SMTP_URL'],
    [{ SMTP_URL: 'smtp:mail' }, 'SMTP_URL'],
    [{ SMTP_URL: 'mail.example.org:25' }, 'SMTP_URL'],
    [{ MAIL_FROM: 'noreply' }, 'MAIL_FROM'],
    [{ ALERT_WEBHOOK_URL: 'ftp://hooks.example.org/x', ALERT_WEBHOOK_SECRET: 'a-secret-of-16-chars' }, 'ALERT_WEBHOOK_URL'],
    [{ ALERT_WEBHOOK_URL: 'https://hooks.example.org/x' }, 'ALERT_WEBHOOK_SECRET'],
    [{ ALERT_WEBHOOK_SECRET: 'a-secret-of-16-chars' }, 'ALERT_WEBHOOK_URL'],
    [{ ALERT_WEBHOOK_URL: 'https://hooks.example.org/x', ALERT_WEBHOOK_SECRET: 'too-short' }, 'ALERT_WEBHOOK_SECRET'],
    [{ SITE_URL: 'cunwu.example.org' }, 'SITE_URL'],
    [{ SITE_URL: 'javascript:alert(1)' }, 'SITE_URL'],
  ])('refuses %j, naming the variable', (env, name) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(name);
  });
});
