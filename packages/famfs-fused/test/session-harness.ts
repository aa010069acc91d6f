/**
 * A file system driven request by request through a Session over a QueueTransport (no mount), as
 * the session tests use it: INIT done, each request answered before the next, the kernel's reply
 * checks applied (a refused reply fails the test), and builders for the common requests.
 */
import * as abi from '@famfs/fuse';
import { Opcode, Session, v10 } from '@famfs/fuse';
import type { FileSystem } from '@famfs/fuse';
import { QueueTransport } from '@famfs/fuse/testing';
import { cstr, initMsg, msg, parseReply, STOCK_OFFER } from './helpers';

export function sessionHarness(fsys: FileSystem, offer: bigint = STOCK_OFFER) {
  const t = new QueueTransport();
  const s = new Session(fsys, t, { profile: v10 });
  let unique = 100;
  const exchange = (...msgs: Buffer[]) => {
    for (const m of msgs) t.push(m);
    s.run();
    expect(t.rejected).toEqual([]);
    return t.take().map(parseReply);
  };
  const one = (m: Buffer) => exchange(m)[0];
  const u = () => unique++;
  const [init] = exchange(initMsg(1, offer));
  expect(init.error).toBe(0);
  const lookup = (parent: number, name: string) => one(msg(Opcode.LOOKUP, u(), parent, cstr(name)));
  const entry = (parent: number, name: string) => {
    const r = lookup(parent, name);
    expect(r.error).toBe(0);
    return abi.EntryOut.decode(r.payload);
  };
  const getxattr = (nodeid: number, name: string, size: number) =>
    one(msg(Opcode.GETXATTR, u(), nodeid, Buffer.concat([abi.GetxattrIn.encode({ size, padding: 0 }), cstr(name)])));
  return { t, s, exchange, one, u, lookup, entry, getxattr, init: abi.InitOut.decode(init.payload) };
}
