// Interrupt signals recorded for a synchronous loop: catchInterrupts / interruptSignal / releaseInterrupts.
import { spawnSync } from 'child_process';
import * as path from 'path';

/** Runs `body` in a fresh node process with the built addon wrapper loaded as `n`. */
function child(body: string) {
  const dist = path.resolve(__dirname, '..', 'dist', 'index.js');
  const script = `const n = require(${JSON.stringify(dist)});\nconst spin = (ms) => { const t = Date.now(); while (Date.now() - t < ms); };\n${body}`;
  return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
}

test('a signal is recorded while caught, not acted on, and forgotten at release', () => {
  const r = child(`
    n.catchInterrupts();
    process.kill(process.pid, 'SIGINT');
    spin(50);
    console.log('after SIGINT ' + n.interruptSignal());
    n.releaseInterrupts();
    console.log('released ' + n.interruptSignal());
    n.catchInterrupts();
    process.kill(process.pid, 'SIGTERM');
    spin(50);
    console.log('after SIGTERM ' + n.interruptSignal());
    n.releaseInterrupts();
  `);
  expect({ status: r.status, signal: r.signal, out: r.stdout }).toEqual({
    status: 0,
    signal: null,
    out: 'after SIGINT 2\nreleased 0\nafter SIGTERM 15\n',
  });
});

test('the same signal twice ends the process as its default action', () => {
  const r = child(`
    n.catchInterrupts();
    process.kill(process.pid, 'SIGINT');
    spin(50);
    console.log('first ' + n.interruptSignal());
    process.kill(process.pid, 'SIGINT');
    spin(500);
    console.log('still here');
  `);
  expect({ signal: r.signal, out: r.stdout }).toEqual({ signal: 'SIGINT', out: 'first 2\n' });
});

test('after release the default action is back', () => {
  const r = child(`
    n.catchInterrupts();
    n.releaseInterrupts();
    process.kill(process.pid, 'SIGTERM');
    spin(500);
    console.log('still here');
  `);
  expect({ signal: r.signal, out: r.stdout }).toEqual({ signal: 'SIGTERM', out: '' });
});
