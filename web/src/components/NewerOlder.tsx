import type { ComponentChildren } from 'preact';

/** Paging through a log, newest first: "Newer" goes back a page, "Older" on. */
export function NewerOlder({ page, pages, onPage, children }: { page: number; pages: number; onPage: (page: number) => void; children?: ComponentChildren }) {
  return (
    <div class="pager">
      <button type="button" class="button small" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Newer
      </button>
      <span>
        Page {page} of {pages}
        {children}
      </span>
      <button type="button" class="button small" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Older
      </button>
    </div>
  );
}
