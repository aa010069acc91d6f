/**
 * @famfs/libfamfs/shadow: the shadow tree a famfs mount is served from (YAML files, the one
 * hardened reader, logplay into it), for the CLI's mount, the daemon and tests. Named exports only.
 */
export { emitShadowYaml } from './yaml-emit';
export { parseShadowYaml, SHADOW_YAML_MAX } from './yaml-parse';
export { prepareShadowRoot, readShadowEntryFile, SHADOW_ROOT_NAME, shadowRootOf, ShadowTree } from './tree';
export type { ReadShadowEntryOptions, ShadowEntryProblem, ShadowEntryProblemKind, ShadowEntryRead } from './tree';
export { logplayDevice, logplayErrorCount, playEntry, playIntoShadow, writeMetaFiles } from './logplay';
export type { LogplayProblem, LogplayResult, PlayOutcome } from './logplay';
export { logMetaEntry, superblockMetaEntry } from './meta-files';
export { ShadowPlayer } from './shadow-player';
