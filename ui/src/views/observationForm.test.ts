// The observation form in a DOM (happy-dom), with its dependencies passed in:
// inline errors at each field, nothing saved while they stand, photo checks
// before any byte is stored, and the draft kept across a reopen.
import { beforeEach, describe, expect, it } from "vitest";
import type { Directory, Saved, Target, Vocabulary } from "../api";
import type { ObservationDraft, PhotoView } from "../logic/observation";
import { MAX_PHOTO_BYTES } from "../logic/observation";
import { observationForm, photoThumb, type FormDeps } from "./observationForm";
import { basemap, layOut } from "./map.fixture";

const directory: Directory = {
  organisations: [{ id: "demo-sdf", name: "Demo SDF", kind: "district" }],
  areas: [{ code: "jarva", name: "Järva", places: [{ id: "p-torget", name: "Torget", lat: 59.4, lon: 17.9 }] }],
};
const vocabulary: Vocabulary = {
  version: 1,
  groups: [{ code: "physical", label_sv: "Fysisk miljö", label_en: "Physical", order: 1 }],
  terms: [
    { code: "belysning", group: "physical", label_sv: "Belysning", label_en: "Lighting", definition_sv: "", definition_en: "" },
    { code: "klotter", group: "physical", label_sv: "Klotter", label_en: "Graffiti", definition_sv: "", definition_en: "" },
  ],
};

function harness(walk: string | null = "walk-1") {
  const saved: { target: Target; draft: ObservationDraft }[] = [];
  const photos: number[] = [];
  const deps: FormDeps = {
    async save(target, draft) {
      saved.push({ target, draft: structuredClone(draft) });
      return { doc_id: "d", id: "o", durable_us: 1 } satisfies Saved;
    },
    async addPhoto(bytes, media_type) {
      photos.push(bytes.length);
      return { sha256: "a".repeat(64), size: bytes.length, media_type, caption: "" } satisfies PhotoView;
    },
    photoUrl: async () => "blob:x",
    locate: async () => { throw new Error("no GPS here"); },
    basemap: async () => basemap,
  };
  let done = 0;
  const el = observationForm({
    directory, vocabulary, walk, area: walk ? "jarva" : undefined, draftKey: "test", deps,
    onSaved: () => { done++; }, onCancel: () => {},
  });
  document.body.replaceChildren(el);
  return { el, saved, photos, done: () => done };
}

const click = (el: Element | null) => (el as HTMLElement).click();
const settle = () => new Promise((r) => setTimeout(r, 0));
const errorsShown = (el: HTMLElement) =>
  [...el.querySelectorAll("[data-error-for]")].map((e) => e.getAttribute("data-error-for"));

describe("observation form", () => {
  beforeEach(() => localStorage.clear());

  it("shows every problem inline and saves nothing", async () => {
    const { el, saved } = harness();
    click(el.querySelector("#obs-save"));
    await settle();
    expect(errorsShown(el)).toEqual(["category", "severity", "location"]);
    expect(saved).toHaveLength(0);
  });

  it("saves a complete observation to the walk", async () => {
    const { el, saved, done } = harness();
    const search = el.querySelector<HTMLInputElement>("#obs-search")!;
    search.value = "graff";
    search.dispatchEvent(new Event("input"));
    expect([...el.querySelectorAll(".term")].map((b) => b.getAttribute("data-code"))).toEqual(["klotter"]);
    click(el.querySelector('[data-code="klotter"]'));
    click(el.querySelector('[data-severity="3"]'));
    const place = el.querySelector<HTMLSelectElement>("#obs-place")!;
    place.value = "p-torget";
    place.dispatchEvent(new Event("change"));
    click(el.querySelector("#obs-save"));
    await settle();
    expect(errorsShown(el)).toEqual([]);
    expect(saved).toHaveLength(1);
    expect(saved[0].target).toEqual({ to: "walk", walk: "walk-1" });
    expect(saved[0].draft).toMatchObject({ category: "klotter", severity: 3, location: { place_id: "p-torget" } });
    expect(done()).toBe(1);
  });

  it("says when there is no position and asks for a place", async () => {
    const { el } = harness();
    click(el.querySelector("#obs-locate"));
    await settle();
    await settle();
    expect(errorsShown(el)).toEqual(["location"]);
  });

  it("picks the position on the map when the device has none", async () => {
    const { el, saved } = harness();
    click(el.querySelector("#obs-locate"));
    await settle();
    await settle();
    expect(errorsShown(el)).toEqual(["location"]);
    const map = el.querySelector<HTMLElement>("#obs-map")!;
    expect(map).not.toBeNull();
    layOut(map);
    // The walk's area is outlined; a tap in the middle of the map picks its middle.
    expect(map.querySelector(".district.current")?.getAttribute("data-area")).toBe("jarva");
    map.querySelector("svg")!.dispatchEvent(new MouseEvent("click", { clientX: 200, clientY: 150, bubbles: true }));
    expect(errorsShown(el)).toEqual([]);
    expect(el.querySelector("#obs-position")!.textContent).toContain("vald på kartan");
    click(el.querySelector('[data-code="klotter"]'));
    click(el.querySelector('[data-severity="2"]'));
    click(el.querySelector("#obs-save"));
    await settle();
    expect(saved).toHaveLength(1);
    const at = saved[0].draft.location!;
    expect(at.lat!).toBeCloseTo(59.4, 2);
    expect(at.lon!).toBeCloseTo(17.9, 2);
    expect(at.accuracy_m).toBeGreaterThan(0);
    expect(at.place_id).toBeNull();
  });

  it("refuses a too-large photo before storing anything", async () => {
    const { el, photos } = harness();
    const input = el.querySelector<HTMLInputElement>("#obs-photo")!;
    const big = new File([new Uint8Array(8)], "huge.jpg", { type: "image/jpeg" });
    Object.defineProperty(big, "size", { value: MAX_PHOTO_BYTES + 1 });
    const small = new File([new Uint8Array([1, 2, 3])], "ok.png", { type: "image/png" });
    Object.defineProperty(input, "files", { value: [big, small] });
    input.dispatchEvent(new Event("change"));
    await settle();
    await settle();
    expect(errorsShown(el)).toEqual(["photos"]);
    expect(el.querySelector('[data-error-for="photos"]')!.textContent).toContain("huge.jpg");
    expect(photos).toEqual([3]);
    expect(el.querySelectorAll(".photo-thumb")).toHaveLength(1);
  });

  it("keeps the draft when the form is closed and reopened", () => {
    const first = harness();
    const note = first.el.querySelector<HTMLTextAreaElement>("#obs-note")!;
    note.value = "Lampan vid porten är trasig";
    note.dispatchEvent(new Event("input"));
    click(first.el.querySelector('[data-severity="2"]'));
    const again = harness();
    expect(again.el.querySelector<HTMLTextAreaElement>("#obs-note")!.value).toBe("Lampan vid porten är trasig");
    expect(again.el.querySelector('[data-severity="2"]')!.getAttribute("aria-pressed")).toBe("true");
  });

  it("asks for the area when reporting outside a walk", async () => {
    const { el, saved } = harness(null);
    click(el.querySelector("#obs-save"));
    await settle();
    expect(errorsShown(el)).toContain("area");
    expect(saved).toHaveLength(0);
  });
});

describe("observation form errors", () => {
  beforeEach(() => localStorage.clear());

  it("clears a field's message once the field is fixed", async () => {
    const { el } = harness();
    click(el.querySelector("#obs-save"));
    await settle();
    click(el.querySelector('[data-code="belysning"]'));
    click(el.querySelector('[data-severity="1"]'));
    expect(errorsShown(el)).toEqual(["location"]);
  });
});

describe("a photo's thumbnail", () => {
  it("says why it cannot show a photo instead of a broken picture", async () => {
    const deps: FormDeps = {
      save: async () => { throw new Error("unused"); },
      addPhoto: async () => { throw new Error("unused"); },
      photoUrl: async () => { throw { code: "not_found", message: "photo abc was not found on this device", fields: [] }; },
      locate: async () => { throw new Error("unused"); },
      basemap: async () => basemap,
    };
    const img = photoThumb("abc", deps);
    await settle();
    expect(img.dataset.error).toBe("photo abc was not found on this device");
    expect(img.alt).toBe("Fotot kan inte visas");
    expect(img.getAttribute("src")).toBeNull();
  });
});
