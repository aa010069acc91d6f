// Where node-gyp finds the headers of the Node that runs it. Left alone, node-gyp downloads them
// for every compile; a Node installed from the official tarball or a distribution package already
// has them under <prefix>/include/node, which is all a Node-API addon needs and works offline.
'use strict';
const fs = require('fs');
const path = require('path');

/** The Node installation prefix when it holds usable headers, else undefined (node-gyp downloads). */
function localNodeDir() {
  const prefix = path.resolve(process.execPath, '..', '..');
  const headers = path.join(prefix, 'include', 'node');
  const complete = ['node_api.h', 'common.gypi', 'config.gypi'].every((f) => fs.existsSync(path.join(headers, f)));
  return complete ? prefix : undefined;
}

/** process.env plus npm_config_nodedir for node-gyp, unless the caller already chose one. */
function envWithNodeDir(env = process.env) {
  if (env.npm_config_nodedir) return { ...env };
  const nodedir = localNodeDir();
  return nodedir ? { ...env, npm_config_nodedir: nodedir } : { ...env };
}

module.exports = { localNodeDir, envWithNodeDir };
