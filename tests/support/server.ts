// Starts the real server (`node api/main.ts`, as `npm start` does) in a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { inject } from 'vitest';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root } from '../../api/build.ts';

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Milliseconds from spawn to the "running" line. */
  startupMs: number;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export const tempDir = (prefix = 'ygcw-e2e-') => mkdtempSync(path.join(tmpdir(), prefix));

/** A private copy of the e2e project's prepared demo data directory (see build-once.ts): a server
 * started on it serves the demo county at once (admin password: admin-password-1). */
export function demoDataDirCopy(): string {
  const dir = tempDir('ygcw-e2e-copy-');
  cpSync(inject('demoDataDir'), dir, { recursive: true });
  return dir;
}
export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** Spawns the server; resolves once it prints its address, rejects if it exits first. */
export function startServer(env: Record<string, string>, timeoutMs = 150_000): Promise<ServerProcess> {
  const started = performance.now();
  const proc = spawn(process.execPath, [path.join(root, 'api/main.ts')], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATABASE_URL: '', ADMIN_PASSWORD: '', DEMO: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = () => {
      const m = /\(portal running\): (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      resolve({
        url: m[1]!,
        proc,
        output: () => out,
        startupMs: performance.now() - started,
        stop: () => {
          if (proc.exitCode === null) proc.kill('SIGTERM');
          return exited;
        },
      });
    };
    proc.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before starting:\n${out}`));
    });
  });
}

/** Runs the server expecting it to fail; resolves with its exit code and output. */
export function runServerExpectingExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [path.join(root, 'api/main.ts')], {
      cwd: root,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATABASE_URL: '', ADMIN_PASSWORD: '', DEMO: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: out });
    });
  });
}
