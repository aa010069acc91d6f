/** Syslog levels by number (0 EMERG .. 7 DEBUG) and by name, as the daemon's log and its socket read them. */

export const LEVEL_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/** A level given as 0..7 or by name (err/error, warning/warn, ...); undefined when it is neither. */
export function parseLogLevel(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^[0-7]$/.test(t)) return Number(t);
  const alias: Record<string, string> = { error: 'err', warn: 'warning', emergency: 'emerg', critical: 'crit' };
  const i = LEVEL_NAMES.indexOf((alias[t] ?? t) as (typeof LEVEL_NAMES)[number]);
  return i >= 0 ? i : undefined;
}

export function levelName(level: number): string {
  return LEVEL_NAMES[Math.max(0, Math.min(7, Math.trunc(level)))];
}
