// Required by the benches' node scripts (bench/*/*.js): small helpers each
// would otherwise carry a copy of.
'use strict';

/** The median of xs (the mean of the middle two for an even count). */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { median, sleep };
