/**
 * @famfs/fuse: the FUSE low-level protocol over /dev/fuse, with the famfs kernel extensions
 * (GET_FMAP, GET_DAXDEV and their ABI profiles): wire layouts, request decoding, reply writing,
 * the session loop and its worker thread, and mounting. It knows nothing of famfs media: a file
 * system plugs in through the FileSystem interface. Test tools are in `@famfs/fuse/testing`.
 */
export * from './errors';
export * from './filesystem';
export * from './protocol';
export * from './session/transport';
export * from './session/session';
export * from './session/messages';
export * from './session/start';
export * from './session/daxdev-push';
export * from './mount';
