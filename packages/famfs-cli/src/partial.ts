import { FamfsMaster } from '@famfs/libfamfs/mount';
import { describeError } from './errors';

const quoted = (paths: string[]) => paths.map((p) => `'${p}'`).join(', ');

/**
 * One line for a command that creates several things and failed part way for a reason it could
 * not check in advance: what was created, what failed and why, and what was not attempted. The
 * failed path is looked up in the log again: a failure after its entry was appended (writing the
 * shadow tree) leaves it logged but not shown by the mount until `famfs logplay`.
 */
export function partialFailure(
  master: FamfsMaster,
  done: string[],
  failed: string,
  notDone: string[],
  e: unknown,
): string {
  const parts = [`cannot create '${failed}': ${describeError(e)}`];
  if (master.file(failed) || master.dir(failed))
    parts.push(`'${failed}' is logged but the mount does not show it yet (famfs logplay adds it)`);
  parts.push(done.length > 0 ? `created before the failure: ${quoted(done)}` : 'nothing was created before it');
  if (notDone.length > 0) parts.push(`not created: ${quoted(notDone)}`);
  return parts.join('; ');
}
