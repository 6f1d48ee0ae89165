/** Cursor pagination as the admin list walks it: the API gives only `next_cursor`, so
 * the cursors of the pages already seen are kept to go back. */
export interface Pager {
  /** The cursor of each page visited so far; the first page's is null. */
  cursors: (string | null)[];
  /** Index into `cursors` of the page shown. */
  index: number;
  /** The cursor of the page after the one shown, if there is one. */
  next: string | null;
}

export const FIRST_PAGE: Pager = { cursors: [null], index: 0, next: null };

export function cursorOf(pager: Pager): string | null {
  return pager.cursors[pager.index] ?? null;
}

export function loaded(pager: Pager, nextCursor: string | null): Pager {
  return { ...pager, next: nextCursor };
}

export function forward(pager: Pager): Pager {
  if (pager.next === null) return pager;
  const cursors = [...pager.cursors.slice(0, pager.index + 1), pager.next];
  return { cursors, index: pager.index + 1, next: null };
}

export function back(pager: Pager): Pager {
  if (pager.index === 0) return pager;
  return { ...pager, index: pager.index - 1, next: null };
}

export function pageNumber(pager: Pager): number {
  return pager.index + 1;
}
