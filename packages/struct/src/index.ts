/**
 * @famfs/struct: C structs declared once as layouts (field, offset, size), with the decoder and
 * encoder of each compiled from that one declaration, and a read cursor for variable-length
 * records. Used by the famfs on-media format (@famfs/libfamfs) and the FUSE wire (@famfs/fuse).
 */
export { Layout, defineLayout, u8, u16, u32, i32, u64, u64big, bytes, cstring, struct } from './layout';
export type { Field, FieldCodec, FieldInfo, LayoutValue, ValueOf } from './layout';
export { Reader, ReadPastEndError } from './reader';
