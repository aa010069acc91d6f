// The shared settings; its global setup rebuilds any stale dist/, which is what `npm pack` ships.
const base = require('../../jest.config.base.js')(__dirname);
module.exports = { ...base, testTimeout: 300000 };
