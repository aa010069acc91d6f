/**
 * Packing the published workspace packages with `npm pack` and installing the tarballs into a
 * directory outside the repository, as a user would get them from the registry.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../../..');

export interface Published {
  name: string;
  dir: string;
}

export interface Packed {
  name: string;
  filename: string;
  size: number;
  files: { path: string; size: number }[];
}

/** The workspace packages that are not private: the ones meant for the registry. */
export function publishedPackages(): Published[] {
  const root = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return root.workspaces
    .map((dir) => ({ dir, pkg: JSON.parse(fs.readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => !pkg.private)
    .map(({ dir, pkg }) => ({ name: pkg.name as string, dir }));
}

/**
 * The environment for npm as a user has it: without the npm_* variables of the `npm test` this
 * runs under (they would carry the workspace's settings into the other directory).
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

export function run(cmd: string, args: string[], cwd: string, env = userEnv()): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

function check(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `npm pack` of every published package into `dest`, in one npm run (prepack scripts included). */
export function packAll(packages: Published[], dest: string): Packed[] {
  fs.mkdirSync(dest, { recursive: true });
  const args = ['pack', '--json', '--pack-destination', dest, ...packages.flatMap((p) => ['-w', p.name])];
  // In the repository, with its own settings: that is where a release is packed from.
  const out = check(run('npm', args, ROOT, { ...userEnv() }), 'npm pack');
  return JSON.parse(out.slice(out.indexOf('['))) as Packed[];
}

/** A fresh npm project in `dir` with the tarballs installed, install scripts off. */
export function installTarballs(dir: string, tarballs: string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "famfs-pack-install", "private": true }\n');
  // Third-party dependencies come from npm's cache when it has them, else from the registry.
  const args = ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs];
  check(run('npm', args, dir), 'npm install');
}
