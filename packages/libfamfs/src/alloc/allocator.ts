import { FamfsError } from '../errors';
import { Extent } from '../format/fmap';
import { AllocationMap } from './allocation-map';

/**
 * Contiguous first-fit allocation over an AllocationMap. The cursor moves past each allocation
 * (so a session fills the device front to back) and the search wraps once, so space freed up
 * before the cursor is never missed; every run is bounded by the device end.
 */
export class ContiguousAllocator {
  private cursor = 0;

  constructor(private readonly map: AllocationMap) {}

  /** Allocates whole units for `size` bytes and claims them for log entry `owner`. */
  allocate(size: number, owner: number, device: string): Extent {
    const need = Math.ceil(size / this.map.unitSize);
    const start =
      this.findRun(need, this.cursor, this.map.units) ??
      this.findRun(need, 0, Math.min(this.cursor + need - 1, this.map.units));
    if (start === undefined) {
      throw new FamfsError(
        'ENOSPC',
        `${device}: no contiguous free space for ${size} bytes (${need} allocation units of ${this.map.unitSize})`,
        {
          device,
          size,
        },
      );
    }
    this.cursor = start + need;
    this.map.claim(start * this.map.unitSize, need * this.map.unitSize, owner);
    return { devIndex: 0, offset: start * this.map.unitSize, len: need * this.map.unitSize };
  }

  private findRun(need: number, from: number, limit: number): number | undefined {
    let u = from;
    while (u + need <= limit) {
      const run = this.map.freeRun(u, u + need);
      if (run === need) return u;
      u += run + 1;
    }
    return undefined;
  }
}
