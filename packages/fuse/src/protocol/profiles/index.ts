import type { AbiProfile } from './types';
import { v10 } from './v10';
import { rfc } from './rfc';

export type { AbiProfile } from './types';
export { v10, rfc };

/** Every known profile; the first is the default. */
export const PROFILES: readonly AbiProfile[] = [v10, rfc];
export const DEFAULT_PROFILE: AbiProfile = v10;

/** The profile with this name; throws a RangeError naming the known ones otherwise. */
export function profileByName(name: string): AbiProfile {
  const p = PROFILES.find((x) => x.name === name);
  if (!p) throw new RangeError(`unknown famfs ABI profile "${name}" (known: ${PROFILES.map((x) => x.name).join(', ')})`);
  return p;
}
