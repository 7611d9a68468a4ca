// Gaps drawn on a bar chart: a column with no figure (no reading) is shaded
// and hatched, never a zero bar. Canvas patterns only (no inline style: CSP).
import type { Plugin } from 'chart.js';

export const GAP_FILL = { light: 'rgba(110, 118, 129, 0.16)', dark: 'rgba(160, 168, 180, 0.16)' };
export const GAP_LINE = { light: 'rgba(110, 118, 129, 0.45)', dark: 'rgba(160, 168, 180, 0.40)' };
export const GAP_LABEL = 'No reading: gap';

/** Diagonal hatching over a fill. */
export function hatch(line: string, fill: string): CanvasPattern | string {
  const c = document.createElement('canvas');
  c.width = 8;
  c.height = 8;
  const g = c.getContext('2d');
  if (!g) return fill;
  g.fillStyle = fill;
  g.fillRect(0, 0, 8, 8);
  g.strokeStyle = line;
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(-2, 2);
  g.lineTo(2, -2);
  g.moveTo(0, 8);
  g.lineTo(8, 0);
  g.moveTo(6, 10);
  g.lineTo(10, 6);
  g.stroke();
  return g.createPattern(c, 'repeat') ?? fill;
}

export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export function gapPattern(dark: boolean): CanvasPattern | string {
  const mode = dark ? 'dark' : 'light';
  return hatch(GAP_LINE[mode], GAP_FILL[mode]);
}

/** A legend-only dataset for the gaps (its bars are never drawn). */
export function gapLegend(length: number, dark: boolean, stack: string) {
  return { label: GAP_LABEL, data: new Array<number | null>(length).fill(null), backgroundColor: gapPattern(dark), borderColor: GAP_LINE[dark ? 'dark' : 'light'], borderWidth: 1, stack };
}

/** Shades the columns flagged by `gaps()` under the bars, with `fill()`. */
export function gapShade(gaps: () => readonly boolean[], fill: () => CanvasPattern | string): Plugin<'bar'> {
  return {
    id: 'gapShade',
    beforeDatasetsDraw(c) {
      const g = gaps();
      const x = c.scales.x;
      const area = c.chartArea;
      if (!x || !area || g.length === 0 || !g.some(Boolean)) return;
      const step = (area.right - area.left) / g.length;
      const ctx = c.ctx;
      ctx.save();
      ctx.fillStyle = fill();
      for (let i = 0; i < g.length; i++) {
        if (!g[i]) continue;
        let j = i;
        while (j + 1 < g.length && g[j + 1]) j++;
        const left = x.getPixelForValue(i) - step / 2;
        const right = x.getPixelForValue(j) + step / 2;
        ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
        i = j;
      }
      ctx.restore();
    },
  };
}
