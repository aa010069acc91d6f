// The shared settings map @famfs/fused, @famfs/libfamfs and @famfs/native to their sources, so the
// emulator is always tested against the daemon code as it is in the tree, with no prior build.
module.exports = require('../../jest.config.base.js')(__dirname);
