// The walks list in a DOM (happy-dom) against a stand-in for the Rust side
// that records what the list asks for: "show more" asks for a page more,
// and any other filter starts again from the first page.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { WalkPage, WalkQuery, WalkSummary } from "../api";

const asked: WalkQuery[] = [];
const PAGE = 2;

vi.mock("../api", async (original) => ({
  ...(await original<typeof import("../api")>()),
  api: {
    async walks(query: WalkQuery): Promise<WalkPage> {
      asked.push({ ...query });
      const n = query.limit ?? PAGE;
      const walks = Array.from({ length: n }, (_, i): WalkSummary => ({
        doc_id: `w${i}`, area: "jarva", route_name: `Rutt ${i}`, status: "completed", light: "daylight",
        owner_org: "demo-sdf", planned_at: null, started_at: null, ended_at: null, created_at: 0,
        answer_count: 0, observation_count: 0, exercise: i === 1,
      }));
      return { walks, more: true, page: PAGE };
    },
  },
}));

const { walksScreen } = await import("./walks");

async function screen() {
  const el = await walksScreen({
    info: { may_record: false } as never,
    directory: { organisations: [], areas: [{ code: "jarva", name: "Järva", places: [] }, { code: "farsta", name: "Farsta", places: [] }] },
    vocabulary: { version: 1, groups: [], terms: [] },
    navigate: () => {},
    reloadShared: async () => {},
    toast: (message) => { throw new Error(message); },
  });
  document.body.replaceChildren(el);
  return el;
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const last = () => asked[asked.length - 1];

describe("the walks list", () => {
  beforeEach(() => { asked.length = 0; });

  it("asks for a page more with each show more, and starts again from the first page on another filter", async () => {
    const el = await screen();
    await settle();
    expect(last().limit).toBeNull();
    const more = el.querySelector<HTMLButtonElement>("#walks-more")!;
    expect(more.hidden).toBe(false);
    more.click();
    await settle();
    more.click();
    await settle();
    expect(last().limit).toBe(3 * PAGE);

    const area = el.querySelector<HTMLSelectElement>("#walk-area-filter")!;
    area.value = "farsta";
    area.dispatchEvent(new Event("change"));
    await settle();
    expect(last()).toMatchObject({ area: "farsta", limit: null });

    more.click();
    await settle();
    expect(last().limit).toBe(2 * PAGE);
    el.querySelector<HTMLButtonElement>("[data-status-filter='completed']")!.click();
    await settle();
    expect(last()).toMatchObject({ status: "completed", limit: null });

    more.click();
    await settle();
    const search = el.querySelector<HTMLInputElement>("#walk-search")!;
    search.value = "Rutt";
    search.dispatchEvent(new Event("input"));
    await settle();
    expect(last()).toMatchObject({ route: "Rutt", limit: null });
  });

  it("marks an exercise, and only an exercise, as one", async () => {
    const el = await screen();
    await settle();
    const rows = [...el.querySelectorAll<HTMLElement>(".walk-row")];
    expect(rows.map((r) => r.querySelector(".badge.exercise") !== null)).toEqual([false, true]);
  });
});
