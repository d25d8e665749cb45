'use strict';
// How far a median of paired ratios can be trusted: a distribution-free
// confidence interval for the median of the population the rounds are
// drawn from. Sorted, the k-th smallest and k-th largest of n rounds hold
// the median between them unless at least n - k + 1 of the rounds fall on
// one side of it, which for a median happens with probability
// P(Binomial(n, 1/2) <= k - 1) per side; k is the largest for which both
// sides together stay under 1 - level.

/** P(Binomial(n, 1/2) <= k). */
function binomialHalfCdf(n, k) {
  let term = 0.5 ** n; // P(X = 0)
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += term;
    term = (term * (n - i)) / (i + 1);
  }
  return sum;
}

/**
 * [low, high] around the median of `values` (nulls left out) at `level`
 * (0.95 by default), or null when there are too few values for it (fewer
 * than 6 at 0.95).
 */
function medianInterval(values, level = 0.95) {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = xs.length;
  let k = 0;
  while (k + 1 <= n / 2 && 2 * binomialHalfCdf(n, k) <= 1 - level) k++;
  if (k === 0) return null;
  return [xs[k - 1], xs[n - k]];
}

module.exports = { medianInterval };
