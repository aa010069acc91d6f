// FUSE over io_uring, without a mount: setting a ring up, the kernel refusing to register it on a
// file that is not /dev/fuse, argument checks, closing. A real mount through the ring is tested in
// @famfs/fuse (test/io-uring.test.ts).
import * as fs from 'fs';
import * as path from 'path';
import {
  fuseRingClose,
  fuseRingCounts,
  fuseRingExchange,
  fuseRingNext,
  fuseRingOpen,
  fuseRingReply,
  fuseRingStart,
} from '../src';
import type { FuseRing } from '../src';
import { expectNativeError, thrownName, useTempDir } from './helpers';

const tempDir = useTempDir();

const ioUringDisabled = (() => {
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim());
  } catch {
    return 0;
  }
})();

describe('fuseRingOpen / fuseRingStart', () => {
  test('arguments are checked before anything is set up', () => {
    expect(thrownName(() => fuseRingOpen(-1, 2, 1 << 20, 1 << 20))).toBe('RangeError');
    expect(thrownName(() => fuseRingOpen(0, 0, 1 << 20, 1 << 20))).toBe('RangeError');
    expect(thrownName(() => fuseRingOpen(0, 2, 100, 1 << 20))).toBe('RangeError');
    expect(thrownName(() => fuseRingStart({} as FuseRing))).toBe('TypeError');
    expect(thrownName(() => fuseRingNext({} as FuseRing, Buffer.alloc(8192)))).toBe('TypeError');
    expect(thrownName(() => fuseRingExchange({} as FuseRing, [Buffer.alloc(16)], Buffer.alloc(8192)))).toBe(
      'TypeError',
    );
  });

  (ioUringDisabled === 0 ? test : test.skip)(
    'a ring on a file that is not /dev/fuse: set up, then refused by the kernel at registration; closing is idempotent',
    () => {
      // A regular file has no io_uring command handler (/dev/null has one that accepts anything).
      const fd = fs.openSync(path.join(tempDir(), 'plain'), 'w+');
      let ring: FuseRing | null = null;
      try {
        ring = fuseRingOpen(fd, 2, 1 << 16, 1 << 16);
        expect(fuseRingCounts(ring)).toEqual({ ringRequests: 0, devRequests: 0, rearmed: 0, oversized: 0 });
        // Not started: there is nothing to wait for, so next() refuses rather than block forever.
        expectNativeError(() => fuseRingNext(ring!, Buffer.alloc(1 << 16)), 'EPROTO');
        expectNativeError(() => fuseRingReply(ring!, [Buffer.alloc(16)]), 'EPROTO');
        // The answer half goes first, and fails the same way, before anything is waited for.
        expectNativeError(
          () => fuseRingExchange(ring!, [Buffer.alloc(16)], Buffer.alloc(1 << 16)),
          'EPROTO',
          'fuseRingReply',
        );
        const ten = new Array<Buffer>(10).fill(Buffer.alloc(2)); // more than the addon takes as arguments
        expectNativeError(() => fuseRingExchange(ring!, ten, Buffer.alloc(1 << 16)), 'EPROTO', 'fuseRingReply');
        expect(
          thrownName(() => fuseRingExchange(ring!, [Buffer.alloc(16), 'x' as unknown as Buffer], Buffer.alloc(8))),
        ).toBe('TypeError');
        // /dev/null has no io_uring command handler: the registration completes at once with an error.
        expectNativeError(() => fuseRingStart(ring!), 'EOPNOTSUPP', 'FUSE_IO_URING_CMD_REGISTER');
        expectNativeError(() => fuseRingStart(ring!), 'EALREADY');
      } finally {
        if (ring) {
          fuseRingClose(ring);
          fuseRingClose(ring);
          expectNativeError(() => fuseRingCounts(ring!), 'EBADF');
        }
        fs.closeSync(fd);
      }
    },
  );
});
