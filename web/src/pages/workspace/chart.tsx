import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';

// A chart drawn with uPlot, fetched only when an analytics page draws one (its code and
// styles are a chunk of their own). The chart is a picture for sighted readers: each page
// puts a table of the same figures beside it, and the chart is one labelled image.

export interface ChartProps {
  /** What the chart shows, for screen readers. */
  label: string;
  xs: number[];
  ys: number[];
  /** Bars (one per bucket) or a stepped line. */
  kind: 'bars' | 'steps';
  xValue: (x: number) => string;
  yLabel: string;
  testId: string;
  /** A second line on a scale of its own (the right axis): reactions beside viewers. */
  second?: { ys: number[]; label: string };
}

const HEIGHT = 220;

export function Chart({ label, xs, ys, kind, xValue, yLabel, testId, second }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let plot: uPlot | undefined;
    let observer: ResizeObserver | undefined;
    let gone = false;
    void Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([{ default: UPlot }]) => {
      const el = box.current;
      if (gone || !el) return;
      const paths = kind === 'bars' ? UPlot.paths.bars!({ size: [0.9, 40] }) : UPlot.paths.stepped!({ align: 1 });
      plot = new UPlot(
        {
          width: Math.max(200, el.clientWidth),
          height: HEIGHT,
          legend: { show: false },
          scales: {
            x: { time: false },
            y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
            ...(second ? { r: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, Math.max(1, max)] } } : {}),
          },
          axes: [
            // Room for a label such as '01:17 PM' between ticks, at 360 px too.
            { values: (_u, splits) => splits.map(xValue), stroke: '#374151', space: 90 },
            { label: yLabel, stroke: '#374151', values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')) },
            ...(second
              ? [
                  {
                    scale: 'r',
                    side: 1 as const,
                    label: second.label,
                    stroke: '#9a3412',
                    grid: { show: false },
                    values: (_u: uPlot, splits: number[]) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')),
                  },
                ]
              : []),
          ],
          series: [
            {},
            {
              label: yLabel,
              stroke: '#1d4ed8',
              fill: kind === 'bars' ? '#93b4f0' : 'rgba(29, 78, 216, 0.25)',
              width: kind === 'bars' ? 1 : 2,
              paths,
            },
            ...(second ? [{ label: second.label, scale: 'r', stroke: '#c2410c', width: 2, dash: [6, 3] }] : []),
          ],
        },
        second ? [xs, ys, second.ys] : [xs, ys],
        el,
      );
      el.dataset.ready = 'true';
      observer = new ResizeObserver(() => plot?.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
      observer.observe(el);
    });
    return () => {
      gone = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [xs, ys, kind, label, second]);
  return <div ref={box} class="chart" role="img" aria-label={label} data-testid={testId} />;
}
