#!/usr/bin/env node
/**
 * Turns the output of a test run into docs/reliability.md.
 *
 *   npm test 2>&1 | tee test.log
 *   node scripts/reliability-report.js test.log -o docs/reliability.md
 *
 * The reliability tests (packages/famfs-cli/test/{crash,concurrency,daemon-faults}.test.ts) print
 * one line per case, pass or fail:
 *
 *   RELIABILITY <case-id> runs=<n> outcome=<pass|fail> ms=<wall time> details=<one-line JSON>
 *
 * Every case declared in those files (reliabilityTest('<case-id>', ...)) is listed; one with no
 * line in the log (a skipped suite: no root or no /dev/fuse) is reported as "not run". Reads
 * stdin when no log is given. Exits 1 when a case failed or did not run, so CI can gate on it
 * (--allow-missing accepts cases that did not run).
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const TEST_FILES = ['crash', 'concurrency', 'daemon-faults'].map((n) =>
  path.join(ROOT, 'packages/famfs-cli/test', `${n}.test.ts`),
);
const LINE = /RELIABILITY (\S+) runs=(\d+) outcome=(pass|fail) ms=(\d+) details=(.*)$/;
/** What each fuzz target prints: `fuzz <target>: <n> runs, seed <s>, outcomes {...}`. */
const FUZZ_LINE = /fuzz ([\w-]+): (\d+) runs, seed (\d+), outcomes (\{.*\})\s*$/;

/** The issue's requirements and the cases that show each. */
const REQUIREMENTS = [
  [
    'SIGKILL of famfs creat / cp / mkdir at random points, 200+ runs; after each: fsck finds no collision, every complete entry valid, next create succeeds',
    ['crash.cli-sigkill', 'crash.library-sigkill', 'crash.every-step'],
  ],
  ['A torn last entry is reported as such and ignored by replay, not blocking the log', ['crash.forced-torn-entry']],
  [
    'N processes appending at once (creat, cp, mkdir mixed) never double-allocate',
    ['concurrency.mixed-cli', 'concurrency.library-hammer', 'concurrency.last-space-race'],
  ],
  [
    'A second master-role process on another mount of the same device is excluded by the lock or refused',
    ['concurrency.second-master'],
  ],
  ['SIGKILL of famfs_fused leaves a mount that famfs umount cleans', ['daemon.sigkill-under-load']],
  ['SIGTERM unmounts cleanly', ['daemon.sigterm']],
  ['A request storm from 16 parallel readers keeps answers correct', ['daemon.reader-storm']],
  ["The kernel emulator's malformed requests never stop the daemon", ['daemon.emulator-fuzz']],
  [
    'Full device and full log: nothing half-created, nothing lost, fsck clean, the error names the cause',
    ['full.device-cp', 'full.log-mkdir-creat-cp', 'concurrency.last-space-race'],
  ],
];

function usage() {
  process.stderr.write(
    'usage: node scripts/reliability-report.js [test.log ...] [-o docs/reliability.md] [--allow-missing]\n',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const o = { logs: [], out: undefined, allowMissing: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-o' || a === '--output') o.out = argv[++i] ?? usage();
    else if (a === '--allow-missing') o.allowMissing = true;
    else if (a === '-h' || a === '--help') usage();
    else o.logs.push(a);
  }
  return o;
}

/** Case ids and titles declared in the test files, in file order. */
function declaredCases() {
  const cases = [];
  for (const file of TEST_FILES) {
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const re = /reliabilityTest\(\s*'([^']+)',\s*(?:'((?:[^'\\]|\\.)*)'|`([^`]*)`|"([^"]*)")/g;
    for (let m; (m = re.exec(text));)
      cases.push({
        id: m[1],
        title: (m[2] ?? m[3] ?? m[4] ?? '').replace(/\\'/g, "'"),
        file: path.relative(ROOT, file),
      });
  }
  return cases;
}

/** A line of jest output without its terminal colour codes (ESC [ ... m). */
function stripColours(line) {
  // eslint-disable-next-line no-control-regex -- ESC is exactly what is being removed
  return line.replace(/\x1b\[[0-9;]*m/g, '');
}

/** The fuzz targets' own summary lines (the last one printed for each target wins). */
function parseFuzz(text) {
  const targets = new Map();
  for (const raw of text.split('\n')) {
    const m = FUZZ_LINE.exec(stripColours(raw).trimEnd());
    if (!m) continue;
    let outcomes;
    try {
      outcomes = JSON.parse(m[4]);
    } catch {
      continue;
    }
    targets.set(m[1], { target: m[1], runs: Number(m[2]), seed: m[3], outcomes });
  }
  return targets;
}

function parseLog(text) {
  const results = new Map();
  for (const raw of text.split('\n')) {
    const m = LINE.exec(stripColours(raw).trimEnd());
    if (!m) continue;
    let details;
    try {
      details = JSON.parse(m[5]);
    } catch {
      details = { unparsed: m[5] };
    }
    results.set(m[1], { id: m[1], runs: Number(m[2]), outcome: m[3], ms: Number(m[4]), details });
  }
  return results;
}

const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function fmtValue(v) {
  if (v === null || typeof v !== 'object') return String(v);
  if (Object.keys(v).length === 0) return 'none';
  if (Array.isArray(v))
    return v.length > 24 ? `${v.slice(0, 24).map(fmtValue).join(' → ')} … (${v.length})` : v.map(fmtValue).join(' → ');
  return Object.entries(v)
    .map(([k, x]) => `${k} ${fmtValue(x)}`)
    .join(', ');
}

function renderFuzz(fuzz) {
  const L = ['## Fuzz targets', ''];
  if (fuzz.size === 0) return [...L, 'No fuzz target reported in this log.', ''];
  L.push('Seeded mutations of valid inputs (scripts/fuzz.sh runs them longer with a random seed). The only');
  L.push('acceptable outcomes are a decoded value (`ok...`) or a typed error; anything else fails the test.');
  L.push('');
  L.push('| Target | Runs | Seed | Decoded | Typed errors | Most frequent outcomes |');
  L.push('|---|---:|---:|---:|---:|---|');
  for (const f of [...fuzz.values()].sort((a, b) => a.target.localeCompare(b.target))) {
    const entries = Object.entries(f.outcomes);
    const ok = entries.filter(([k]) => k.startsWith('ok')).reduce((n, [, v]) => n + v, 0);
    const errors = entries.reduce((n, [, v]) => n + v, 0) - ok;
    const top = entries
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    L.push(
      `| \`${f.target}\` | ${f.runs.toLocaleString('en-US')} | ${f.seed} | ${ok.toLocaleString('en-US')} | ${errors.toLocaleString('en-US')} | ${esc(top)} |`,
    );
  }
  L.push('');
  return L;
}

function render(declared, results, logs, fuzz) {
  const ids = [...declared.map((c) => c.id), ...[...results.keys()].filter((id) => !declared.some((c) => c.id === id))];
  const rows = ids.map((id) => {
    const d = declared.find((c) => c.id === id);
    const r = results.get(id);
    return { id, title: r?.details.title ?? d?.title ?? '', file: d?.file ?? '', r };
  });
  const ran = rows.filter((x) => x.r);
  const passed = ran.filter((x) => x.r.outcome === 'pass').length;
  const failed = ran.filter((x) => x.r.outcome === 'fail').length;
  const missing = rows.length - ran.length;
  const totalRuns = ran.reduce((n, x) => n + x.r.runs, 0);
  const totalMs = ran.reduce((n, x) => n + x.r.ms, 0);
  const L = [];
  L.push('# famfs-ts reliability report');
  L.push('');
  L.push('<!-- Generated by scripts/reliability-report.js from the output of a test run. Do not edit by hand. -->');
  L.push('');
  L.push(
    `Generated from \`${logs.map((l) => path.basename(l)).join('`, `') || 'stdin'}\` on ${new Date().toISOString().slice(0, 10)}. Every row below is a line the test printed for itself`,
  );
  L.push('(`RELIABILITY <case> runs=<n> outcome=<pass|fail> ...`): nothing here is typed in by hand. To regenerate:');
  L.push('');
  L.push('```sh');
  L.push('npm test 2>&1 | tee test.log');
  L.push('node scripts/reliability-report.js test.log -o docs/reliability.md');
  L.push('```');
  L.push('');
  L.push(
    `**${rows.length} cases: ${passed} passed, ${failed} failed, ${missing} not run; ${totalRuns.toLocaleString('en-US')} runs in ${(totalMs / 1000).toFixed(1)} s of test time.**`,
  );
  L.push('');
  L.push('Why a crash cannot do more than this report shows: see [append-ordering.md](append-ordering.md).');
  L.push('');
  L.push('## Cases');
  L.push('');
  L.push('| Case | What it does | Runs | Outcome | Time |');
  L.push('|---|---|---:|---|---:|');
  for (const x of rows) {
    const outcome = !x.r ? 'not run' : x.r.outcome === 'pass' ? 'pass' : '**FAIL**';
    L.push(
      `| \`${x.id}\` | ${esc(x.title)} | ${x.r ? x.r.runs.toLocaleString('en-US') : '-'} | ${outcome} | ${x.r ? `${(x.r.ms / 1000).toFixed(1)} s` : '-'} |`,
    );
  }
  L.push('');
  L.push('A *run* is one scenario carried out and checked: one killed process (crash cases), one forced log tail,');
  L.push(
    'one concurrent writer process (or library session cycle), one daemon kill or signal, one reader operation (storm), one',
  );
  L.push('emulator request (fuzz).');
  L.push('');
  L.push(...renderFuzz(fuzz));
  L.push('## Requirements');
  L.push('');
  L.push('| Requirement | Cases | Outcome |');
  L.push('|---|---|---|');
  for (const [req, cases] of REQUIREMENTS) {
    const rs = cases.map((id) => results.get(id));
    const outcome = rs.some((r) => !r) ? 'not run' : rs.every((r) => r.outcome === 'pass') ? 'pass' : '**FAIL**';
    const counts = cases
      .map(
        (id) => `\`${id}\` (${results.get(id) ? `${results.get(id).runs.toLocaleString('en-US')} runs` : 'not run'})`,
      )
      .join(', ');
    L.push(`| ${esc(req)} | ${counts} | ${outcome} |`);
  }
  L.push('');
  L.push('## Details');
  L.push('');
  L.push('What each case measured, as it reported it.');
  L.push('');
  for (const x of rows) {
    L.push(`### \`${x.id}\``);
    L.push('');
    L.push(`${x.title}${x.file ? ` (${x.file})` : ''}.`);
    L.push('');
    if (!x.r) {
      L.push('Not run in this log (the suite was skipped: it needs root and /dev/fuse).');
      L.push('');
      continue;
    }
    L.push(`- outcome: **${x.r.outcome}**, ${x.r.runs.toLocaleString('en-US')} runs, ${(x.r.ms / 1000).toFixed(1)} s`);
    for (const [k, v] of Object.entries(x.r.details)) {
      if (k === 'title') continue;
      L.push(`- ${k}: ${esc(fmtValue(v))}`);
    }
    L.push('');
  }
  L.push('## What is checked after every fault');
  L.push('');
  L.push('- **Log**: `fsckDevice` (with the device mounted) finds no allocation collision and no tree conflict, and');
  L.push('  no bad entry except a torn *last* entry; the file extents are also compared with one another directly');
  L.push("  (no overlap, nothing over the superblock or log), independently of fsck's bitmap.");
  L.push('- **Shadow tree**: every entry logged since the previous run is shown by the mount with the logged kind and');
  L.push(
    '  size after a logplay (a kill between a log append and its shadow write leaves a logged file that the mount',
  );
  L.push('  shows only after `famfs logplay`; that count is reported as `loggedButNotYetShadowed`).');
  L.push('- **Next create**: a new file is created through the master (library, or `famfs creat` every 25th run) and');
  L.push('  shows in the mount: the lock was released by the kill, and the log and shadow tree take new entries.');
  L.push(
    '- **At the end**: unmount, `famfs fsck` of the device exits 0, and a fresh mount (a shadow tree rebuilt from',
  );
  L.push('  the log alone) shows every logged file and directory.');
  L.push('');
  return L.join('\n');
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const text = o.logs.length ? o.logs.map((f) => fs.readFileSync(f, 'utf8')).join('\n') : fs.readFileSync(0, 'utf8');
  const results = parseLog(text);
  const declared = declaredCases();
  const fuzz = parseFuzz(text);
  const md = render(declared, results, o.logs, fuzz);
  if (o.out) fs.writeFileSync(o.out, md + '\n');
  else process.stdout.write(md + '\n');
  const failed = [...results.values()].filter((r) => r.outcome === 'fail').map((r) => r.id);
  const missing = declared.filter((c) => !results.has(c.id)).map((c) => c.id);
  process.stderr.write(
    `reliability report: ${results.size} cases and ${fuzz.size} fuzz targets reported, ${failed.length} failed${failed.length ? ` (${failed.join(', ')})` : ''}, ${missing.length} not run${missing.length ? ` (${missing.join(', ')})` : ''}\n`,
  );
  if (failed.length || (missing.length && !o.allowMissing)) process.exitCode = 1;
}

main();
