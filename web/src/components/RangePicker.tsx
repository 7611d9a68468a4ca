import { useEffect, useState } from 'preact/hooks';
import { checkRange, PRESETS, type ResolvedRange } from '../dates';
import { updateParams } from '../router';
import { TextField } from './Field';

/** Segmented radio group of range presets; "Custom" shows two date inputs. */
export function RangePicker({ range, today, legend = 'Range (UTC days)' }: { range: ResolvedRange; today: string; legend?: string }) {
  const [start, setStart] = useState(range.start);
  const [end, setEnd] = useState(range.end);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setStart(range.start);
    setEnd(range.end);
  }, [range.start, range.end]);

  function choose(value: string) {
    if (value === 'custom') updateParams({ range: 'custom', start: range.start, end: range.end, page: undefined });
    else updateParams({ range: value, start: undefined, end: undefined, page: undefined });
  }

  function apply(e: Event) {
    e.preventDefault();
    const err = checkRange(start, end);
    setError(err);
    if (!err) updateParams({ range: 'custom', start, end });
  }

  return (
    <div class="range-picker">
      <fieldset class="segmented">
        <legend>{legend}</legend>
        <div class="segments">
          {PRESETS.map((p) => (
            <label key={p.value} class={range.preset === p.value ? 'on' : undefined} data-testid={`range-${p.value}`}>
              <input type="radio" name="range" value={p.value} checked={range.preset === p.value} onChange={() => choose(p.value)} />
              {p.label}
            </label>
          ))}
        </div>
      </fieldset>
      {range.preset === 'custom' ? (
        <form class="custom-range" onSubmit={apply} noValidate>
          <TextField id="range-start" label="From" type="date" value={start} onValue={setStart} max={today} error={error && error.includes('start') ? error : undefined} />
          <TextField id="range-end" label="To" type="date" value={end} onValue={setEnd} max={today} error={error && !error.includes('start') ? error : undefined} />
          <button type="submit" class="button">
            Apply
          </button>
        </form>
      ) : null}
      {range.error && range.preset === 'custom' && !error ? <p class="field-error">{range.error}</p> : null}
    </div>
  );
}

/** Segmented radio group for a small choice (e.g. group by model/key). */
export function Segmented<V extends string>({
  legend,
  name,
  value,
  options,
  onChange,
}: {
  legend: string;
  name: string;
  value: V;
  options: { value: V; label: string }[];
  onChange: (v: V) => void;
}) {
  return (
    <fieldset class="segmented">
      <legend>{legend}</legend>
      <div class="segments">
        {options.map((o) => (
          <label key={o.value} class={value === o.value ? 'on' : undefined} data-testid={`${name}-${o.value}`}>
            <input type="radio" name={name} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
            {o.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
