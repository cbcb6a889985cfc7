/**
 * The fwmark space multiwan owns: uplink marks plus three reserved values, all inside
 * `settings.markMask`; bits outside the mask belong to others and are preserved.
 * @module
 */

/** Mark values derived from a mask. */
export interface MarkSpace {
  readonly mask: number;
  /** Lowest set bit of the mask; uplink index N has mark N << shift. */
  readonly shift: number;
  /** Largest usable uplink index. */
  readonly maxIndex: number;
  /** Reserved: classified, use the main table (bypass). */
  readonly bypass: number;
  /** Reserved: new connections get `unreachable`. */
  readonly unreachable: number;
  /** Reserved: new connections are silently dropped. */
  readonly blackhole: number;
}

/** markSpace validates a contiguous mask with at least 3 bits and derives its values. */
export function markSpace(mask: number): MarkSpace {
  if (!Number.isInteger(mask) || mask <= 0 || mask > 0xffffffff) throw new RangeError(`markMask ${mask} out of range`);
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const width = (mask >>> shift).toString(2);
  if (/0/.test(width)) throw new RangeError(`markMask 0x${mask.toString(16)} must be contiguous bits`);
  if (width.length < 3) throw new RangeError(`markMask 0x${mask.toString(16)} needs at least 3 bits`);
  const top = (mask >>> shift) >>> 0;
  return {
    mask: mask >>> 0,
    shift,
    maxIndex: top - 3,
    bypass: (top << shift) >>> 0,
    unreachable: ((top - 1) << shift) >>> 0,
    blackhole: ((top - 2) << shift) >>> 0,
  };
}

/** markOf returns the mark value of uplink `index`. */
export function markOf(space: MarkSpace, index: number): number {
  if (!Number.isInteger(index) || index < 1 || index > space.maxIndex) {
    throw new RangeError(`uplink index ${index} outside 1..${space.maxIndex} for markMask 0x${space.mask.toString(16)}`);
  }
  return (index << space.shift) >>> 0;
}

/** Formats a 32-bit value as 0x%08x. */
export function hex(n: number): string {
  return "0x" + (n >>> 0).toString(16).padStart(8, "0");
}
