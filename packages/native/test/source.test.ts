// mapAsciiText: an ASCII file's text as a string over a mapping of the file.
import * as fs from 'fs';
import * as path from 'path';
import { mapAsciiText } from '../src';
import { expectNativeError, mapsOf, useTempDir } from './helpers';

const tempDir = useTempDir();

test('the text of an ASCII file, the same string a read gives, kept in a mapping of the file', () => {
  const file = path.join(tempDir(), 'script.js');
  const text = Array.from({ length: 20000 }, (_, i) => `var v${i} = ${i * 7919} % 13; // line ${i}\n`).join('');
  fs.writeFileSync(file, text);
  const mapped = mapAsciiText(file);
  expect(mapped).toBe(fs.readFileSync(file, 'utf8'));
  expect(mapped!.length).toBe(text.length);
  // The file stays mapped while the string is alive: its characters were not copied.
  expect(mapsOf(file).length).toBeGreaterThan(0);
  expect(mapped!.slice(-30)).toBe(text.slice(-30));
});

test('an empty, non-ASCII or non-regular file is left to a plain read (undefined)', () => {
  const empty = path.join(tempDir(), 'empty.js');
  fs.writeFileSync(empty, '');
  const utf8 = path.join(tempDir(), 'utf8.js');
  fs.writeFileSync(utf8, `const name = '${'x'.repeat(5000)}\u00e9';\n`);
  expect(mapAsciiText(empty)).toBeUndefined();
  expect(mapAsciiText(utf8)).toBeUndefined();
  expect(mapsOf(utf8)).toEqual([]);
  expect(mapAsciiText(tempDir())).toBeUndefined();
});

test('a file that cannot be opened throws the errno', () => {
  expectNativeError(() => mapAsciiText(path.join(tempDir(), 'missing.js')), 'ENOENT', 'open');
});
