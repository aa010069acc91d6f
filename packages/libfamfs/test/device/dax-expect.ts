import { DaxModeError, DaxModeErrorReason } from '../../src/device/dax-mode';
import { FamfsError } from '../../src/errors';

/** What a dax mode error must say: its reason, and words the one line must contain. */
export interface ExpectedDaxError {
  reason: DaxModeErrorReason;
  code: FamfsError['code'];
  /** Substrings of the message: the device, its mode, ... */
  mentions: string[];
  /** The exact fix command. */
  fix: string;
}

/** Runs fn, which must throw a DaxModeError whose message is one sentence ending in "; fix: <command>". */
export function expectDaxError(fn: () => unknown, expected: ExpectedDaxError): DaxModeError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  return checkDaxError(thrown, expected);
}

export async function expectDaxRejection(p: Promise<unknown>, expected: ExpectedDaxError): Promise<DaxModeError> {
  let thrown: unknown;
  try {
    await p;
  } catch (e) {
    thrown = e;
  }
  return checkDaxError(thrown, expected);
}

function checkDaxError(thrown: unknown, expected: ExpectedDaxError): DaxModeError {
  expect(thrown).toBeInstanceOf(DaxModeError);
  expect(thrown).toBeInstanceOf(FamfsError);
  const err = thrown as DaxModeError;
  expect(err.reason).toBe(expected.reason);
  expect(err.code).toBe(expected.code);
  expect(err.fix).toBe(expected.fix);
  // One sentence on one line: no newline, no sentence break before the fix.
  expect(err.message).not.toMatch(/\n/);
  expect(err.message).not.toMatch(/\. [A-Z]/);
  expect(err.message.endsWith(`; fix: ${expected.fix}`)).toBe(true);
  for (const m of expected.mentions) expect(err.message).toContain(m);
  expect(err.details).toMatchObject({ reason: expected.reason, fix: expected.fix });
  return err;
}
