/**
 * DaemonDiagnostics.status(): what /status says about the log a daemon serves, from the state the
 * session worker shares (following, off, stopped and why) and the main thread's shadow writer.
 */
import { DaemonDiagnostics } from '../src/daemon/diagnostics';
import { DaemonSharedState, FollowState } from '../src/famfs/shared-state';
import type { LogStatus } from '../src/famfs/shared-state';
import { StopCode } from '../src/famfs/log-follower';

const facts = () => ({
  mountpoint: '/mnt',
  shadow: '/sh',
  abiProfile: 'v10',
  dataPath: 'stock' as const,
  startedAt: Date.now(),
});
const shadow = { written: 10, pending: 2, problems: 0, doneAt: 0 };

function diagnostics(state: Partial<LogStatus>, serving = true) {
  const shared = DaemonSharedState.create();
  shared.setLogStatus({
    followState: FollowState.Following,
    stopCode: StopCode.None,
    applied: 12,
    logNext: 12,
    badEntries: 1,
    conflicts: 2,
    files: 8,
    directories: 2,
    catchUps: 3,
    lastCatchUpAt: Date.now(),
    ...state,
  });
  const follow = () => ({ intervalMs: 100, wakes: 4, shadow: serving ? shadow : undefined });
  return new DaemonDiagnostics(
    shared,
    facts,
    () => null,
    () => undefined,
    follow,
  );
}

test('serving the log: the index, the following and the shadow writer', () => {
  const s = diagnostics({}).status();
  expect(s.source).toBe('log');
  expect(s.log).toEqual({ entriesRead: 12, nextIndex: 12, files: 8, directories: 2, badEntries: 1, conflicts: 2 });
  expect(s.follow).toMatchObject({ state: 'following', intervalMs: 100, wakes: 4, reads: 3 });
  expect(s.shadowTree).toEqual(shadow);
});

test.each([
  [StopCode.SuperblockChanged, 'the superblock changed under the mount'],
  [StopCode.HeaderInvalid, 'the log header is not valid any more'],
  [StopCode.HeaderBackwards, 'the log header went backwards'],
])('stopped (code %i): the state and why', (stopCode, why) => {
  const s = diagnostics({ followState: FollowState.Stopped, stopCode }).status();
  expect(s.follow).toMatchObject({ state: 'stopped', stoppedBecause: why });
});

test('not following (follow=0), and serving a shadow tree: no log section', () => {
  expect(diagnostics({ followState: FollowState.Off }).status().follow).toMatchObject({ state: 'off' });
  const s = diagnostics({}, false).status();
  expect(s.source).toBe('shadow');
  expect(s.follow).toBeUndefined();
});
