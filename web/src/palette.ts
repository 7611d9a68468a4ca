// The colours of the stacked charts' series. A chart shows at most
// TOP_SERIES series plus one more: the rest are summed into "Other" only
// when that replaces two or more series, so a chart of exactly
// TOP_SERIES + 1 series shows them all, and the palette holds that many
// distinct colours (a test checks it in both schemes).

/** Series a stacked chart names; the rest become "Other". */
export const TOP_SERIES = 8;

const LIGHT = ['#2f6db5', '#d9660b', '#23915a', '#c8364b', '#7756c4', '#8a6a12', '#14879a', '#c2467f', '#6b8e00'];
const DARK = ['#6ea8fe', '#ffa94d', '#5ad47a', '#ff7b8c', '#b59cff', '#e3c167', '#4fd1e0', '#f78bc6', '#b8d84a'];
const OTHER = { light: '#8d939c', dark: '#7d848d' };

/** The colour of the `index`th series (or of "Other"). */
export function seriesColor(index: number, other: boolean, dark: boolean): string {
  if (other) return dark ? OTHER.dark : OTHER.light;
  const palette = dark ? DARK : LIGHT;
  return palette[index % palette.length] ?? '#888';
}

/** Keeps the top series by total and sums the rest into one "Other", unless
 *  that would replace a single series. */
export function keepTop<T>(byTotal: readonly T[], top = TOP_SERIES): { keep: readonly T[]; rest: readonly T[] } {
  if (byTotal.length <= top + 1) return { keep: byTotal, rest: [] };
  return { keep: byTotal.slice(0, top), rest: byTotal.slice(top) };
}
