/**
 * The bundled entry bin/famfs.js runs (scripts/bundle.js) and its V8 code cache
 * (scripts/code-cache.js): the cache is accepted by this Node, and a cache that does not fit is
 * only a slower start, never a different result.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { spawnSync } from 'child_process';
import { famfs, useTempDir } from './run';

const runBundle = require('../bin/run-bundle.js') as {
  BUNDLE: string;
  CACHE: string;
  bundleScript(cachedData?: Buffer): { cachedDataRejected?: boolean };
};

const tmp = useTempDir();

test('the build made the bundle and a code cache this Node accepts', () => {
  expect(fs.statSync(runBundle.BUNDLE).size).toBeGreaterThan(0);
  const script = runBundle.bundleScript(fs.readFileSync(runBundle.CACHE));
  expect(script.cachedDataRejected).toBe(false);
});

test('the bundle is compiled from a mapping of its file with the addon, and from a plain read without it', () => {
  const script = (addon: string) => `
    const rb = require(${JSON.stringify(require.resolve('../bin/run-bundle.js'))});
    const { exports } = rb.loadBundle(undefined${addon});
    const mapped = require('fs').readFileSync('/proc/self/maps', 'utf8').includes(rb.BUNDLE);
    process.stdout.write(\`\${typeof exports.processMain} \${mapped}\\n\`);`;
  const run = (addon: string) => spawnSync(process.execPath, ['-e', script(addon)], { encoding: 'utf8' });
  expect(run('').stdout).toBe('function true\n');
  expect(run(', null').stdout).toBe('function false\n');
});

test('a cache that does not fit the bundle is rejected by V8 and famfs runs as usual', () => {
  // A copy of the package's bin and dist with the cache replaced by bytes of another script.
  const pkg = path.join(tmp(), 'cli');
  fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
  fs.cpSync(path.dirname(require.resolve('../bin/run-bundle.js')), path.join(pkg, 'bin'), { recursive: true });
  fs.copyFileSync(runBundle.BUNDLE, path.join(pkg, 'dist', 'famfs.bundle.js'));
  fs.copyFileSync(path.join(path.dirname(runBundle.BUNDLE), '..', 'package.json'), path.join(pkg, 'package.json'));
  fs.symlinkSync(path.resolve(__dirname, '..', '..', '..', 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
  fs.writeFileSync(path.join(pkg, 'dist', 'famfs.bundle.cache'), new vm.Script('1 + 1').createCachedData());
  const copy = famfs(['--help'], {}, path.join(pkg, 'bin', 'famfs.js'));
  const built = famfs(['--help']);
  expect(copy.code).toBe(0);
  expect(copy.stdout).toBe(built.stdout);
  fs.rmSync(path.join(pkg, 'dist', 'famfs.bundle.cache'));
  expect(famfs(['-V'], {}, path.join(pkg, 'bin', 'famfs.js')).stdout).toBe(famfs(['-V']).stdout);
  // No bundle at all (a build that stopped after tsc): one line that says what to do, exit 1.
  fs.rmSync(path.join(pkg, 'dist', 'famfs.bundle.js'));
  const missing = famfs(['-V'], {}, path.join(pkg, 'bin', 'famfs.js'));
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(
    /^famfs: .*famfs\.bundle\.js is missing: build @famfs\/cli first \(npm run build\)\n$/,
  );
});
