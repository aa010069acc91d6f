import * as fs from 'fs';
import * as path from 'path';
import { FamfsError } from './errors';
import { isUuidText, randomUuidBytes, uuidToBytes, uuidToText } from './format/uuid';
import { Superblock } from './format/superblock';

/** Where the C famfs keeps this host's identity. */
export const SYSTEM_UUID_PATH = '/opt/famfs/system_uuid';
/** Environment variable that overrides the file: lets several "hosts" share one machine. */
export const SYSTEM_UUID_ENV = 'FAMFS_SYSTEM_UUID';

export interface SystemUuidOptions {
  /** Defaults to SYSTEM_UUID_PATH. */
  file?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * This host's system UUID: FAMFS_SYSTEM_UUID when set; else the UUID text in the system UUID
 * file, which is created (directory 0755, file 0444, text plus NUL, as the C famfs writes it)
 * when missing. An unparsable file is removed, as the C famfs does, and EINVAL is thrown.
 */
export function getSystemUuid(opts: SystemUuidOptions = {}): Buffer {
  const env = opts.env ?? process.env;
  const fromEnv = env[SYSTEM_UUID_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isUuidText(fromEnv)) throw new FamfsError('EINVAL', `${SYSTEM_UUID_ENV}='${fromEnv}' is not a UUID`);
    return uuidToBytes(fromEnv);
  }
  const file = opts.file ?? SYSTEM_UUID_PATH;
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new FamfsError('EIO', `cannot read ${file}: ${(e as Error).message}`);
    return createSystemUuidFile(file);
  }
  const word = text.replace(/\0.*$/s, '').trim().slice(0, 36);
  if (!isUuidText(word)) {
    fs.rmSync(file, { force: true });
    throw new FamfsError('EINVAL', `${file} does not hold a UUID; removed it so that the next run makes a new one`);
  }
  return uuidToBytes(word);
}

function createSystemUuidFile(file: string): Buffer {
  const uuid = randomUuidBytes();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  fs.writeFileSync(file, uuidToText(uuid) + '\0', { mode: 0o444, flag: 'wx' });
  return uuid;
}

export type Role = 'master' | 'client' | 'nosuper';

/** MASTER when this host's UUID is the one in the superblock; CLIENT otherwise. */
export function roleOf(sb: Superblock | undefined, systemUuid: Buffer | undefined): Role {
  if (!sb) return 'nosuper';
  if (!systemUuid) return 'client';
  return sb.systemUuid.equals(systemUuid) ? 'master' : 'client';
}

/** Like getSystemUuid, but an unobtainable UUID yields undefined (the host is then a client). */
export function tryGetSystemUuid(opts: SystemUuidOptions = {}): Buffer | undefined {
  try {
    return getSystemUuid(opts);
  } catch {
    return undefined;
  }
}
