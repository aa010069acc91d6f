/**
 * A command's arguments, declared as its usage line shows them: `DEVICE MOUNTPOINT`, `[FILE]`,
 * `FILE...` (one or more), `[FILE...]` (any number), `SOURCE... DEST`. The runner checks the count
 * before the command runs, so a command never sees too few or too many.
 */
import { UsageError } from './usage-error';

interface ArgSlot {
  name: string;
  optional: boolean;
  many: boolean;
}

function slotsOf(usage: string): ArgSlot[] {
  return usage
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w) => {
      const optional = w.startsWith('[') && w.endsWith(']');
      const bare = optional ? w.slice(1, -1) : w;
      const many = bare.endsWith('...');
      return { name: many ? bare.slice(0, -3) : bare, optional, many };
    });
}

/**
 * Throws UsageError naming the first missing argument, or the first one too many. `missingExit`
 * is the exit code for a missing argument (the C famfs uses 22 in a few commands).
 */
export function checkPositionals(usage: string, args: readonly string[], missingExit = 1): void {
  const slots = slotsOf(usage);
  const required = slots.filter((s) => !s.optional).length;
  if (args.length < required) {
    // Name the slot the first missing word would have filled; a trailing required slot (cp's
    // DEST) is the one missing when only the many-slot before it was filled.
    const missing = slots.filter((s) => !s.optional)[args.length];
    throw new UsageError(`missing ${missing.name}`, missingExit);
  }
  if (!slots.some((s) => s.many) && args.length > slots.length) {
    throw new UsageError(`unexpected argument '${args[slots.length]}'`);
  }
}
