/** An on/off setting: on, true, 1, yes / off, false, 0, no (any case); unset or empty is `fallback`; anything else is refused. */
export function parseFlag(name: string, value: string | undefined, fallback: boolean): boolean {
  const v = value?.trim().toLowerCase();
  if (!v) return fallback;
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new Error(`${name} must be on or off, not '${value}'`);
}
