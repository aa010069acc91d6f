/**
 * The getopt_long-compatible tokenizer and the option tables built on it, in-process. Every case
 * is what glibc's getopt_long gives for the same option table (checked against the C famfs' own
 * option strings, reference §2.0), except where a comment says famfs-ts differs on purpose.
 */
import { getopt, GetoptError, GetoptOption } from '../src/args/getopt';
import { OptionSpec, optionHelpLines, parseFlags, parseOptions } from '../src/args/option-spec';
import { checkPositionals } from '../src/args/positionals';
import { UsageError } from '../src/args/usage-error';

/** creat's table: `+s:S:m:u:g:rC:N:B:M:t:h?v`. */
const CREAT: GetoptOption[] = [
  { short: 's', long: 'size', takesValue: true },
  { short: 'S', long: 'seed', takesValue: true },
  { short: 'r', long: 'randomize', takesValue: false },
  { short: 't', long: 'threadct', takesValue: true },
  { short: 'v', long: 'verbose', takesValue: false },
  { short: 'h', long: 'help', takesValue: false },
  { short: '?', takesValue: false },
  { short: 'N', long: 'nstrips', takesValue: true },
  { short: 'B', long: 'nbuckets', takesValue: true },
];

/** A compact view: option letters (or long names) with values, then positionals after `|`. */
function tokens(argv: string[], permute = true, table = CREAT): string {
  const r = getopt(argv, table, { permute });
  const opts = r.options.map((o) => `${o.option.short ?? o.option.long}${o.value === undefined ? '' : `=${o.value}`}`);
  return [...opts, '|', ...r.positionals].join(' ');
}

describe('getopt: the forms glibc accepts', () => {
  test.each([
    // attached values and clusters
    [['-t0', 'f'], 't=0 | f'],
    [['-s2m', 'f'], 's=2m | f'],
    [['-rvv', 'f'], 'r v v | f'],
    [['-rS', '7', 'f'], 'r S=7 | f'],
    [['-rS7', 'f'], 'r S=7 | f'],
    [['-vs', '1m'], 'v s=1m |'],
    // a value is the next word whatever it looks like
    [['-t', '-1'], 't=-1 |'],
    [['-S', '-s', '10'], 'S=-s | 10'],
    [['--seed', '--size'], 'S=--size |'],
    // long forms, = and prefixes
    [['--size=1m', 'f'], 's=1m | f'],
    [['--size', '1m', 'f'], 's=1m | f'],
    [['--size='], 's= |'],
    [['--nbuck', '8'], 'B=8 |'],
    [['--nb=8'], 'B=8 |'],
    [['--ra'], 'r |'],
    // -- ends options; a lone - is an argument
    [['-r', '--', '-v', 'f'], 'r | -v f'],
    [['-', '-r'], 'r | -'],
    // -? is an option where the table has it
    [['-?'], '? |'],
  ])('%j -> %s', (argv, want) => {
    expect(tokens(argv)).toBe(want);
  });

  test('permute (famfs-ts): options after arguments are options', () => {
    expect(tokens(['f', '-s', '1m', 'g'])).toBe('s=1m | f g');
  });

  test('no permute (C famfs "+"): parsing stops at the first argument', () => {
    expect(tokens(['f', '-s', '1m'], false)).toBe('| f -s 1m');
    expect(tokens(['-r', 'f', '-v'], false)).toBe('r | f -v');
  });

  test('stopAt ends parsing at once, before a later mistake is judged', () => {
    const r = getopt(['-vh', '--bogus'], CREAT, { permute: true, stopAt: (o) => o.short === 'h' });
    expect(r.stoppedAt?.long).toBe('help');
    expect(r.options.map((o) => o.option.short)).toEqual(['v', 'h']);
    const inCluster = getopt(['-hx'], CREAT, { permute: true, stopAt: (o) => o.short === 'h' });
    expect(inCluster.stoppedAt?.short).toBe('h');
  });

  test('each occurrence says how it was spelled', () => {
    const r = getopt(['-s1', '--si', '2', '--size=3'], CREAT, { permute: true });
    expect(r.options.map((o) => o.spelled)).toEqual(['-s', '--si', '--size']);
  });
});

describe('getopt: what it refuses, in one line', () => {
  test.each([
    [['-x'], "unknown option '-x'"],
    [['-rx'], "unknown option '-x' (in '-rx')"],
    [['--bogus'], "unknown option '--bogus'"],
    [['--n'], "option '--n' is ambiguous (--nstrips, --nbuckets)"],
    [['-s'], "option '-s' needs a value"],
    [['-rs'], "option '-s' needs a value"],
    [['--size'], "option '--size' needs a value"],
    [['--si'], "option '--size' needs a value"],
    [['--verbose=2'], "option '--verbose' takes no value"],
    [['--verb=2'], "option '--verbose' takes no value"],
  ])('%j', (argv, message) => {
    expect(() => getopt(argv, CREAT, { permute: true })).toThrow(new GetoptError(message));
  });

  test('an exact long name wins over longer names it prefixes', () => {
    const t: GetoptOption[] = [
      { long: 'fuse', takesValue: false },
      { long: 'fuser', takesValue: false },
    ];
    expect(getopt(['--fuse'], t, { permute: true }).options[0].option.long).toBe('fuse');
    expect(() => getopt(['--fus'], t, { permute: true })).toThrow(/ambiguous/);
  });
});

describe('option tables (OptionSpec)', () => {
  const SPECS: OptionSpec[] = [
    { flags: '-s, --size=SIZE', help: 'size' },
    { flags: '-v, --verbose', help: 'more' },
    { flags: '-M, --multi=NAME,SIZE[,SEED]', help: 'many', repeat: 'list' },
    { flags: '-S, --shadow=DIR', help: 'shadow', repeat: { refuseWith: 22 } },
    { flags: '--set-daxmode', help: 'long only' },
    { flags: '-b', help: 'short only' },
  ];

  test.each([
    ['-s, --size=SIZE', { short: 's', long: 'size', key: 'size', metavar: 'SIZE', takesValue: true }],
    ['-v, --verbose', { short: 'v', long: 'verbose', key: 'verbose', takesValue: false }],
    ['--set-daxmode', { short: undefined, long: 'set-daxmode', key: 'setDaxmode', takesValue: false }],
    ['-b', { short: 'b', long: undefined, key: 'b', takesValue: false }],
    ['-?', { short: '?', key: '?', takesValue: false }],
    ['-M, --multi=NAME,SIZE[,SEED]', { key: 'multi', metavar: 'NAME,SIZE[,SEED]', takesValue: true }],
  ])('flags %s', (flags, want) => {
    expect(parseFlags({ flags, help: '' })).toMatchObject(want);
  });

  test.each(['-s --size', 'size', '--Size', '-ab', '--size=size'])(
    'malformed flags %s are a programming error',
    (flags) => {
      expect(() => parseFlags({ flags, help: '' })).toThrow(/bad option flags/);
    },
  );

  test('flags count, values keep the last, lists keep all', () => {
    const r = parseOptions(['-vvv', '-s1', '--size=2', '-M', 'a,1', '-Mb,2', 'x', '--set-d', '-b'], SPECS);
    expect(r.options).toEqual({ verbose: 3, size: '2', multi: ['a,1', 'b,2'], setDaxmode: 1, b: 1 });
    expect(r.positionals).toEqual(['x']);
  });

  test('a list option given tens of thousands of times keeps every value, in order', () => {
    const argv: string[] = [];
    for (let i = 0; i < 20000; i++) argv.push('-M', `f${i},1`);
    const multi = parseOptions(argv, SPECS).options.multi as string[];
    expect(multi.length).toBe(20000);
    expect([multi[0], multi[12345], multi[19999]]).toEqual(['f0,1', 'f12345,1', 'f19999,1']);
  });

  test('a refused repeat is a usage error with its own exit code', () => {
    const e = (() => {
      try {
        parseOptions(['-S', 'a', '--shadow=b'], SPECS);
      } catch (x) {
        return x as UsageError;
      }
    })();
    expect(e).toBeInstanceOf(UsageError);
    expect(e?.message).toBe('option --shadow given more than once');
    expect(e?.exitCode).toBe(22);
  });

  test('getopt errors become usage errors (exit 1)', () => {
    expect(() => parseOptions(['--nope'], SPECS)).toThrow(new UsageError("unknown option '--nope'"));
  });

  test('help lines: GNU layout, long-only options past the short column', () => {
    expect(optionHelpLines(SPECS.slice(3, 6))).toEqual([
      '  -S, --shadow=DIR   shadow',
      '      --set-daxmode  long only',
      '  -b                 short only',
    ]);
  });
});

describe('positionals', () => {
  test.each([
    ['DEVICE', ['d'], undefined],
    ['DEVICE', [], 'missing DEVICE'],
    ['DEVICE', ['a', 'b'], "unexpected argument 'b'"],
    ['DEVICE [MOUNTPOINT]', ['d'], undefined],
    ['DEVICE [MOUNTPOINT]', ['d', 'm', 'x'], "unexpected argument 'x'"],
    ['SOURCE... DEST', ['a'], 'missing DEST'],
    ['SOURCE... DEST', ['a', 'b', 'c', 'd'], undefined],
    ['FILE...', [], 'missing FILE'],
    ['[FILE]', [], undefined],
    ['', ['x'], "unexpected argument 'x'"],
  ])('%s with %j', (usage, args, message) => {
    const run = () => checkPositionals(usage, args);
    if (message === undefined) expect(run).not.toThrow();
    else expect(run).toThrow(new UsageError(message));
  });

  test('a missing argument can carry its own exit code (22 in check and getmap)', () => {
    try {
      checkPositionals('FILE...', [], 22);
      throw new Error('not thrown');
    } catch (e) {
      expect((e as UsageError).exitCode).toBe(22);
    }
  });
});
