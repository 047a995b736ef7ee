// `npm start`: build if needed, migrate, and serve site and API from one Node process.
import { ConfigError, parseConfig } from './config.ts';
import { startPortal } from './server.ts';
import { DatabaseLockedError } from '../db/client.ts';

try {
  const running = await startPortal(parseConfig(process.env));
  const shutdown = (signal: string) => {
    console.log(`收到 ${signal}，正在停止 (shutting down)…`);
    running.stop().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
} catch (err) {
  if (err instanceof ConfigError || err instanceof DatabaseLockedError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
