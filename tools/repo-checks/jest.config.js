const base = require('../../jest.config.base.js')(__dirname);
// Reads sources as text only: nothing here runs compiled code, so no dist/ refresh is needed.
module.exports = { ...base, globalSetup: undefined };
