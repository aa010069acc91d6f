/**
 * A size-bounded log file: lines are appended; when the next line would take the file past
 * `maxBytes`, the file becomes `<file>.1` (replacing the older one) and a new file starts. One
 * old file is kept, so the log never takes more than about twice the bound. The file is opened
 * without following a symlink planted at its name, and only a regular file is appended to.
 */
import * as fs from 'fs';
import * as path from 'path';
import { openChecked } from '@famfs/libfamfs';
import { rotatedLogFile } from '@famfs/libfamfs/mount';

export class RotatingLogFile {
  private fd = -1;
  private size = 0;

  constructor(
    readonly file: string,
    readonly maxBytes: number,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    this.open();
  }

  private open(): void {
    const { fd, stat } = openChecked(this.file, {
      flags: fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT,
      mode: 0o640,
      accept: ['file'],
      what: 'daemon log',
      noFollow: true,
    });
    this.fd = fd;
    this.size = stat.size;
  }

  /** Appends `text` (whole lines), rotating first when it would pass the bound. */
  write(text: string): void {
    if (this.fd < 0) return;
    const buf = Buffer.from(text, 'utf8');
    if (this.size > 0 && this.size + buf.length > this.maxBytes) this.rotate();
    fs.writeSync(this.fd, buf);
    this.size += buf.length;
  }

  private rotate(): void {
    fs.closeSync(this.fd);
    this.fd = -1;
    fs.renameSync(this.file, rotatedLogFile(this.file));
    this.open();
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
