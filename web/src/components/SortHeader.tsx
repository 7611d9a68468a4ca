export interface SortState<K extends string> {
  key: K;
  dir: 'asc' | 'desc';
}

interface Props<K extends string> {
  label: string;
  column: K;
  sort: SortState<K>;
  onSort: (s: SortState<K>) => void;
  numeric?: boolean;
}

/** A column header that sorts its table (aria-sort on the active one). */
export function SortHeader<K extends string>({ label, column, sort, onSort, numeric }: Props<K>) {
  const active = sort.key === column;
  const next: SortState<K> = { key: column, dir: active ? (sort.dir === 'desc' ? 'asc' : 'desc') : numeric ? 'desc' : 'asc' };
  return (
    <th scope="col" class={numeric ? 'num' : undefined} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
      <button type="button" class="sort" onClick={() => onSort(next)}>
        {label}
        <span aria-hidden="true" class="sort-mark">
          {active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ' ↕'}
        </span>
      </button>
    </th>
  );
}

export function compareBy<T>(get: (x: T) => string | number | bigint, dir: 'asc' | 'desc') {
  return (a: T, b: T): number => {
    const x = get(a);
    const y = get(b);
    const c = typeof x === 'string' && typeof y === 'string' ? x.localeCompare(y) : x < y ? -1 : x > y ? 1 : 0;
    return dir === 'asc' ? c : -c;
  };
}
