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

  it('treats empty variables as unset', () => {
    expect(parseConfig({ DATABASE_URL: '', PORT: '' })).toMatchObject({ databaseUrl: undefined, port: 4321 });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DEMO: 'yes' }, 'DEMO'],
    [{ ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD'],
  ])('refuses %j, naming the variable', (env, name) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(name);
  });
});
