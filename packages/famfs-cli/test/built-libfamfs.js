// The built libfamfs (dist/, what the famfs binary under test runs), as one object: the package
// root and the subpath of every layer. For the CLI tests and the plain-node child processes they
// start (which get this file's path), so both see the same library the binary does.
'use strict';
const path = require('path');

const dist = path.resolve(__dirname, '../../libfamfs/dist');
const entries = ['index', 'format/index', 'device/index', 'alloc/index', 'log/index', 'shadow/index', 'mount/index'];
module.exports = Object.assign({}, ...entries.map((e) => require(path.join(dist, e))));
module.exports.LIB_DIST = dist;
