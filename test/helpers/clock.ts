// A clock tests move by hand. Gateways (and simulators) take `now`; sharing one clock
// between both makes an expired token expired on both sides, as in production.

export interface ManualClock {
  now: () => number;
  advance(ms: number): void;
  advanceS(seconds: number): void;
}

export function manualClock(startMs = Date.now()): ManualClock {
  let t = startMs;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
    advanceS(seconds) {
      t += seconds * 1000;
    },
  };
}
