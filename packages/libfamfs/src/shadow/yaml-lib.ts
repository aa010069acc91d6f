/**
 * The `yaml` package, loaded on first use. Loading it costs about 30 ms, a quarter of a famfs
 * command's start-up, and most commands (cp, creat, mkdir) never parse YAML.
 */
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

function yamlLib(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (lib ??= require('yaml') as typeof Yaml);
}

export function isAlias(n: unknown): n is Yaml.Alias {
  return yamlLib().isAlias(n);
}
export function isMap(n: unknown): n is Yaml.YAMLMap {
  return yamlLib().isMap(n);
}
export function isScalar(n: unknown): n is Yaml.Scalar {
  return yamlLib().isScalar(n);
}
export function isSeq(n: unknown): n is Yaml.YAMLSeq {
  return yamlLib().isSeq(n);
}
export const parseAllDocuments: typeof Yaml.parseAllDocuments = (...a: Parameters<typeof Yaml.parseAllDocuments>) =>
  yamlLib().parseAllDocuments(...a);
/** yaml's visit, with its BREAK/SKIP/REMOVE markers read only when used. */
export const visit = Object.defineProperties((...a: Parameters<typeof Yaml.visit>) => yamlLib().visit(...a), {
  BREAK: { get: () => yamlLib().visit.BREAK },
  SKIP: { get: () => yamlLib().visit.SKIP },
  REMOVE: { get: () => yamlLib().visit.REMOVE },
}) as unknown as typeof Yaml.visit;
