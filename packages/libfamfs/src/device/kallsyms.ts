/**
 * Finding the famfs kernel symbols in the text of /proc/kallsyms. Lines are
 * `address type name` for built-in code and `address type name\t[module]` for modules. Only
 * loaded modules are listed, so a famfs-capable fuse module that is not loaded yet is invisible.
 */

/** Where a symbol was found: the module it belongs to, or null for built-in code. */
export interface SymbolHit {
  symbol: string;
  module: string | null;
}

export interface KallsymsScan {
  /** famfs_fuse_iomap_begin: the FUSE famfs DAX path (the kernel side famfs-ts mounts with). */
  famfsFuse: SymbolHit | null;
  /** famfs_create: the standalone famfs v1 file system, which famfs-ts does not use. */
  famfsV1: SymbolHit | null;
}

const FUSE_SYMBOL = 'famfs_fuse_iomap_begin';
const V1_SYMBOL = 'famfs_create';

/**
 * Scans kallsyms text. Unlike C famfs (issue #126), a symbol with no module tag counts: that is
 * how a built-in fuse shows its symbols, and C famfs misses FUSE famfs there. A name also matches
 * with a compiler suffix ('.isra.0', '.cold'), never as a mere prefix of a longer identifier.
 */
export function scanKallsyms(text: string): KallsymsScan {
  const scan: KallsymsScan = { famfsFuse: null, famfsV1: null };
  // Only the lines naming famfs_ matter: jump from one to the next rather than split the whole
  // text (kallsyms has some 150,000 lines, and famfs mount reads it every time).
  for (const line of linesContaining(text, 'famfs_')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3 || fields.length > 4) continue;
    const symbol = fields[2];
    const module = fields.length === 4 ? fields[3].replace(/^\[(.*)\]$/, '$1') : null;
    const fuseModule = module === null || module === 'fuse';
    const v1Module = module === null || module === 'famfs' || module === 'famfsv1';
    if (scan.famfsFuse === null && fuseModule && nameMatches(symbol, FUSE_SYMBOL)) {
      scan.famfsFuse = { symbol, module };
    }
    if (scan.famfsV1 === null && v1Module && nameMatches(symbol, V1_SYMBOL)) {
      scan.famfsV1 = { symbol, module };
    }
  }
  return scan;
}

function* linesContaining(text: string, word: string): Generator<string> {
  let at = text.indexOf(word);
  while (at >= 0) {
    const start = text.lastIndexOf('\n', at) + 1;
    const newline = text.indexOf('\n', at);
    const end = newline < 0 ? text.length : newline;
    yield text.slice(start, end);
    at = text.indexOf(word, end);
  }
}

function nameMatches(name: string, symbol: string): boolean {
  return name === symbol || name.startsWith(`${symbol}.`);
}
