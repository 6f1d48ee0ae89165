import { describe, expect, it } from "vitest";

import { FIRST_PAGE, back, cursorOf, forward, loaded, pageNumber } from "@/lib/pages";

describe("cursor pagination", () => {
  it("walks forward with next_cursor and back through the cursors seen", () => {
    let pager = loaded(FIRST_PAGE, "c2");
    expect(cursorOf(pager)).toBeNull();

    pager = loaded(forward(pager), "c3");
    expect(cursorOf(pager)).toBe("c2");
    pager = loaded(forward(pager), null);
    expect(cursorOf(pager)).toBe("c3");
    expect(pageNumber(pager)).toBe(3);
    expect(forward(pager)).toBe(pager); // no next page

    pager = back(pager);
    expect(cursorOf(pager)).toBe("c2");
    pager = back(back(pager));
    expect(cursorOf(pager)).toBeNull();
    expect(pageNumber(pager)).toBe(1);
  });

  it("forgets the pages ahead when it goes forward from an earlier page", () => {
    const third = forward(loaded(forward(loaded(FIRST_PAGE, "c2")), "c3"));
    const again = forward(loaded(back(third), "c3b"));

    expect(again.cursors).toEqual([null, "c2", "c3b"]);
  });
});
