/**
 * docs/cli.md against the CLI itself: every command has a section, every option its CommandSpec
 * declares is documented there, and the section shows the command's --help text verbatim, so the
 * help and the documentation cannot drift apart. Also checks that the relative links between the
 * documents in docs/ lead somewhere.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { allCommands, COMMAND_INDEX } from '../src/command-index';
import { commandHelp, programHelp } from '../src/command';
import { MOUNT_HELPER_USAGE } from '../src/mount-helper';

const COMMANDS = allCommands();

const REPO = path.resolve(__dirname, '../../..');
const DOCS = path.join(REPO, 'docs');
const CLI_MD = fs.readFileSync(path.join(DOCS, 'cli.md'), 'utf8');

/** The `## ` sections of a markdown text, by heading (text after the hashes). */
function sections(md: string): Map<string, string> {
  const out = new Map<string, string>();
  let inFence = false;
  let heading: string | undefined;
  let body: string[] = [];
  const flush = () => {
    if (heading !== undefined) out.set(heading, body.join('\n'));
  };
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    if (!inFence && /^## /.test(line)) {
      flush();
      heading = line.slice(3).trim();
      body = [];
    } else {
      body.push(line);
    }
  }
  flush();
  return out;
}

/** The individual flags of an option's flags string: '-l, --loglen=SIZE' -> ['-l', '--loglen']. */
function flagsOf(spec: string): string[] {
  return spec.split(', ').map((s) => s.split(/[=\s]/)[0]);
}

/** The rows of the exit-code table: [command, exit, when]. */
function exitRows(): string[][] {
  const table = SECTIONS.get('Exit codes') ?? '';
  return table
    .split('\n')
    .filter((l) => /^\| [a-z]/.test(l) && !l.startsWith('| command'))
    .map((l) => l.split(' | ').map((c) => c.replace(/^\| |\s\|$/g, '').trim()));
}

const SECTIONS = sections(CLI_MD);

describe('docs/cli.md', () => {
  test('has one section per command, and none for a command that does not exist', () => {
    const documented = [...SECTIONS.keys()].filter((h) => h.startsWith('famfs ')).map((h) => h.slice('famfs '.length));
    expect(documented.sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  });

  test('shows the program help verbatim', () => {
    expect(CLI_MD).toContain('```text\n' + programHelp('famfs', COMMANDS) + '```');
    // famfs --help lists the index without loading the commands: its names and summaries are theirs.
    expect(COMMAND_INDEX.map((c) => [c.name, c.summary])).toEqual(COMMANDS.map((c) => [c.name, c.summary]));
  });

  describe.each(COMMANDS.map((c) => [c.name, c] as const))('famfs %s', (name, spec) => {
    const section = () => {
      const s = SECTIONS.get(`famfs ${name}`);
      if (s === undefined) throw new Error(`docs/cli.md has no "## famfs ${name}" section`);
      return s;
    };

    test('the section states the summary and the usage line', () => {
      expect(section()).toContain(spec.summary);
      expect(section()).toContain(`Usage: famfs ${name} [options] ${spec.args}`.trimEnd());
    });

    test('every declared option and each of its flags appears in the section', () => {
      const missing: string[] = [];
      for (const { flags, help: desc } of spec.options) {
        if (!section().includes(flags)) missing.push(flags);
        if (!section().includes(desc)) missing.push(`${flags}: ${desc}`);
        for (const f of flagsOf(flags))
          if (!new RegExp(`(^|[\\s\`(])${f.replace(/[-]/g, '\\-')}([\\s\`,=)]|$)`, 'm').test(section()))
            missing.push(f);
      }
      expect(missing).toEqual([]);
    });

    test('the section shows the --help output verbatim', () => {
      expect(section()).toContain('```text\n' + commandHelp('famfs', spec) + '```');
    });

    test('the section points to its rows of the one exit-code table, and the table has rows for it', () => {
      expect(section()).toMatch(/\*\*Exit codes:\*\* \[[\w-]+\]\(#exit-codes\)/);
      expect(exitRows().filter((r) => r[0] === name).length).toBeGreaterThan(0);
    });
  });
});

describe('docs/cli.md: the famfs_fused section', () => {
  test('shows famfs_fused --help verbatim', () => {
    const bin = path.join(REPO, 'packages/famfs-fused/bin/famfs_fused.js');
    const help = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(SECTIONS.get('famfs_fused')).toContain('```text\n' + help + '```');
  });
});

describe('docs/cli.md: the mount.famfs section', () => {
  test('shows mount.famfs --help verbatim', () => {
    expect(SECTIONS.get('mount.famfs')).toContain('```text\n' + MOUNT_HELPER_USAGE + '```');
  });
});

describe('docs/', () => {
  test('every relative link between the documents leads to an existing file', () => {
    const broken: string[] = [];
    const mdFiles = fs.readdirSync(DOCS).filter((f) => f.endsWith('.md'));
    expect(mdFiles).toEqual(
      expect.arrayContaining([
        'README.md',
        'getting-started.md',
        'cli.md',
        'format.md',
        'architecture.md',
        'performance.md',
      ]),
    );
    for (const f of mdFiles) {
      const text = fs.readFileSync(path.join(DOCS, f), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
        const file = target.split('#')[0];
        if (!fs.existsSync(path.resolve(DOCS, file))) broken.push(`${f}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
