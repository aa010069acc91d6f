import type { AbiProfile } from './types';
import { v10 } from './v10';
import { rfc } from './rfc';
import { push, DAXDEV_OPEN_NR } from './push';

export type { AbiProfile, DaxdevPush, FmapSizing } from './types';
export { v10, rfc, push, DAXDEV_OPEN_NR };

/** Every known profile; the first is the default. */
export const PROFILES: readonly AbiProfile[] = [v10, rfc, push];
export const DEFAULT_PROFILE: AbiProfile = v10;

/** The profile with this name; throws a RangeError naming the known ones otherwise. */
export function profileByName(name: string): AbiProfile {
  const p = PROFILES.find((x) => x.name === name);
  if (!p)
    throw new RangeError(`unknown famfs ABI profile "${name}" (known: ${PROFILES.map((x) => x.name).join(', ')})`);
  return p;
}

/** The name that asks a session to find the generation itself. */
export const AUTO_PROFILE = 'auto';

/**
 * What `auto` does: INIT as `base`, then, once INIT is answered, probe each of `probed` in turn by
 * its DAXDEV_OPEN ioctl and switch to the first the kernel has. Every probed profile must share
 * the base's INIT bit and GET_FMAP opcode, since INIT was negotiated before the probe.
 */
export const AUTO_DETECT: { readonly base: AbiProfile; readonly probed: readonly AbiProfile[] } = {
  base: v10,
  probed: [push],
};

/** The profile with its DAXDEV_OPEN ioctl number replaced (profiles without push are returned as is). */
export function withDaxdevIoctl(profile: AbiProfile, ioctl: number | undefined): AbiProfile {
  if (ioctl === undefined || !profile.daxdevPush) return profile;
  if (!Number.isInteger(ioctl) || ioctl < 0 || ioctl > 0xffff_ffff) {
    throw new RangeError(`daxdev ioctl ${ioctl} is not a 32-bit ioctl number`);
  }
  return { ...profile, daxdevPush: { ...profile.daxdevPush, ioctl } };
}

/** A session's profile choice: the one to start with and those to probe for after INIT. */
export interface ProfileChoice {
  readonly initial: AbiProfile;
  readonly probe: readonly AbiProfile[];
}

/** Resolves a profile, a profile name or "auto" (with an optional DAXDEV_OPEN ioctl override). */
export function chooseProfile(choice: AbiProfile | string | undefined, daxdevIoctl?: number): ProfileChoice {
  if (choice === AUTO_PROFILE) {
    return { initial: AUTO_DETECT.base, probe: AUTO_DETECT.probed.map((p) => withDaxdevIoctl(p, daxdevIoctl)) };
  }
  const p = typeof choice === 'string' ? profileByName(choice) : (choice ?? DEFAULT_PROFILE);
  return { initial: withDaxdevIoctl(p, daxdevIoctl), probe: [] };
}
