/**
 * Notifications: the encoders' bytes (as the kernel's fuse_notify_inval_* structs), the Notifier a
 * file system gets at INIT, the default sink (the transport) and a custom one, and the test
 * transport keeping notifications apart from replies.
 */
import * as abi from '../src/protocol/abi';
import { NotifyWriter } from '../src/protocol/notify';
import { Session } from '../src/session/session';
import { QueueTransport } from '../src/testing/queue-transport';
import type { ConnectionInfo, FileSystem, Notifier } from '../src/filesystem';
import type { LookupRequest } from '../src/protocol/request';
import { FuseErrno, Errno } from '../src/errors';
import { cstr, initMsg, msg, parseReply } from './helpers';

describe('NotifyWriter', () => {
  const w = new NotifyWriter();

  test('INVAL_INODE: header with unique 0 and code 2, then ino, off, len (s64)', () => {
    const [b] = w.invalInode(7, -1, 0);
    expect(b.length).toBe(16 + 24);
    expect(abi.OutHeader.decode(b, 0)).toEqual({ len: 40, error: abi.NotifyCode.INVAL_INODE, unique: 0n });
    expect(b.readBigUInt64LE(16)).toBe(7n);
    expect(b.readBigInt64LE(24)).toBe(-1n);
    expect(b.readBigInt64LE(32)).toBe(0n);
  });

  test('INVAL_ENTRY: parent, namelen without the NUL, flags, then the name and a NUL', () => {
    const [b] = w.invalEntry(1, 'new-file');
    expect(abi.OutHeader.decode(b, 0)).toEqual({ len: 16 + 16 + 9, error: abi.NotifyCode.INVAL_ENTRY, unique: 0n });
    expect(abi.NotifyInvalEntryOut.decode(b, 16)).toEqual({ parent: 1, namelen: 8, flags: 0 });
    expect(b.subarray(32).toString('latin1')).toBe('new-file\0');
    expect(abi.NotifyInvalEntryOut.decode(w.invalEntry(3, 'x', true)[0], 16).flags).toBe(abi.FUSE_EXPIRE_ONLY);
  });

  test('names the kernel would refuse are refused here', () => {
    expect(() => w.invalEntry(1, '')).toThrow(RangeError);
    expect(() => w.invalEntry(1, 'a/b')).toThrow(RangeError);
    expect(() => w.invalEntry(1, 'a\0b')).toThrow(RangeError);
    expect(() => w.invalEntry(1, 'x'.repeat(abi.FUSE_NAME_MAX + 1))).toThrow(RangeError);
    expect(() => w.invalInode(1, 0.5)).toThrow(RangeError);
  });
});

/** A file system that notifies on every LOOKUP of "poke" and keeps the notifier INIT gave it. */
class Notifying implements FileSystem {
  notifier: Notifier | null = null;
  init(info: ConnectionInfo) {
    this.notifier = info.notifier;
    return {};
  }
  lookup(req: LookupRequest): never {
    if (req.name === 'poke') {
      this.notifier!.invalInode(1, -1, 0);
      this.notifier!.invalEntry(1, 'poke');
    }
    throw new FuseErrno(Errno.ENOENT);
  }
}

describe('Notifier', () => {
  test('INIT hands one; by default its notifications go to the transport, apart from the replies', () => {
    const fs = new Notifying();
    const t = new QueueTransport();
    const s = new Session(fs, t);
    t.push(initMsg(1));
    t.push(msg(abi.Opcode.LOOKUP, 2, 1, cstr('poke')));
    s.run();
    const replies = t.take().map(parseReply);
    expect(replies.map((r) => [r.unique, r.error])).toEqual([
      [1n, 0],
      [2n, -Errno.ENOENT],
    ]);
    const notes = t.takeNotifications();
    expect(notes.map((b) => abi.OutHeader.decode(b, 0).error)).toEqual([
      abi.NotifyCode.INVAL_INODE,
      abi.NotifyCode.INVAL_ENTRY,
    ]);
    expect(t.rejected).toEqual([]);
    expect(s.stats.notifications).toBe(2);
  });

  test('a notify sink receives them instead (what the session worker does)', () => {
    const fs = new Notifying();
    const t = new QueueTransport();
    const got: Buffer[][] = [];
    const s = new Session(fs, t, { notify: (iov) => got.push(iov) });
    t.push(initMsg(1));
    t.push(msg(abi.Opcode.LOOKUP, 2, 1, cstr('poke')));
    s.run();
    expect(t.takeNotifications()).toEqual([]);
    expect(got.map((iov) => abi.OutHeader.decode(Buffer.concat(iov), 0).error)).toEqual([2, 3]);
  });

  test('the strict test transport refuses a unique-0 message with an unknown code', () => {
    const t = new QueueTransport();
    const b = Buffer.alloc(16);
    abi.OutHeader.encodeInto({ len: 16, error: 99, unique: 0n }, b, 0);
    expect(() => t.writev([b])).toThrow(/unknown code 99/);
  });
});
