// The map in a DOM (happy-dom): outlines and pins drawn, a tap picks or
// opens a pin, a drag moves without picking, zoom and keyboard work, and a
// basemap that cannot be read is said in words.
import { describe, expect, it } from "vitest";
import { worldX, worldY } from "../logic/map";
import { basemap, layOut } from "./map.fixture";
import { mapOrProblem, mapView, placesOf, type Pin } from "./map";

const pins: Pin[] = [
  { id: "o1", lat: 59.40, lon: 17.90, severity: 1, label: "Belysning · Låg" },
  { id: "o2", lat: 59.39, lon: 17.88, severity: 4, label: "Klotter · Akut" },
];

const viewBox = (el: HTMLElement) => el.querySelector("svg")!.getAttribute("viewBox")!.split(" ").map(Number);
const click = (target: Element, x: number, y: number) =>
  target.dispatchEvent(new MouseEvent("click", { clientX: x, clientY: y, bubbles: true }));
const pointer = (target: Element, type: string, x: number, y: number, pointerId = 1) =>
  target.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: y, pointerId, bubbles: true }));

describe("the map", () => {
  it("draws every district, the area's outline, the water and a pin per observation by severity", () => {
    const m = mapView({ basemap, id: "m", label: "Karta", area: "jarva", pins });
    document.body.replaceChildren(m.el);
    expect(m.el.querySelectorAll(".district")).toHaveLength(2);
    expect(m.el.querySelector(".district.current")!.getAttribute("data-area")).toBe("jarva");
    expect(m.el.querySelector(".area-outline")!.getAttribute("d")).toMatch(/^M.*Z$/);
    expect(m.el.querySelector(".water")!.getAttribute("d")).toMatch(/^M/);
    const drawn = [...m.el.querySelectorAll(".pin")];
    expect(drawn.map((p) => [p.getAttribute("data-obs-id"), p.getAttribute("class")])).toEqual([["o1", "pin sev-1"], ["o2", "pin sev-4"]]);
    expect(drawn[1].getAttribute("cx")).toBe(worldX(17.88).toFixed(1));
    expect(drawn[1].querySelector("title")!.textContent).toBe("Klotter · Akut");
    expect(m.el.dataset.pins).toBe("2");
    // The view holds the whole area: Järva's corners are inside it.
    const [x, y, w, h] = viewBox(m.el);
    expect(x).toBeLessThan(worldX(17.85));
    expect(x + w).toBeGreaterThan(worldX(17.95));
    expect(y).toBeLessThan(worldY(59.42));
    expect(y + h).toBeGreaterThan(worldY(59.38));
    m.setPins(pins.slice(1));
    expect(m.el.querySelectorAll(".pin")).toHaveLength(1);
  });

  it("opens an observation from its pin, and a tap elsewhere opens nothing", () => {
    const opened: string[] = [];
    const m = mapView({ basemap, id: "m", label: "Karta", area: "jarva", pins, onPin: (id) => opened.push(id) });
    document.body.replaceChildren(m.el);
    layOut(m.el);
    click(m.el.querySelector('[data-obs-id="o2"]')!, 10, 10);
    click(m.el.querySelector("svg")!, 10, 10);
    expect(opened).toEqual(["o2"]);
  });

  it("takes the pointer only for a drag, so a tap's click still reaches the pin", () => {
    // A browser sends a captured pointer's click to the capturing element:
    // had a tap captured it, the click would land on the map, not the pin.
    const m = mapView({ basemap, id: "m", label: "Karta", area: "jarva", pins, onPin: () => {} });
    document.body.replaceChildren(m.el);
    layOut(m.el);
    const svg = m.el.querySelector("svg")!;
    const captured: number[] = [];
    svg.setPointerCapture = (id: number) => captured.push(id);
    const pin = m.el.querySelector('[data-obs-id="o2"]')!;
    pointer(pin, "pointerdown", 100, 100, 7);
    pointer(pin, "pointermove", 101, 100, 7);
    pointer(pin, "pointerup", 101, 100, 7);
    expect(captured).toEqual([]);
    pointer(svg, "pointerdown", 100, 100, 8);
    pointer(svg, "pointermove", 160, 100, 8);
    expect(captured).toEqual([8]);
  });

  it("picks where it is tapped, but not at the end of a drag, which moves the map", () => {
    const picks: [number, number, number][] = [];
    const m = mapView({ basemap, id: "m", label: "Karta", area: "jarva", onPick: (at, acc) => picks.push([at.lat, at.lon, acc]) });
    document.body.replaceChildren(m.el);
    layOut(m.el);
    const svg = m.el.querySelector("svg")!;
    const before = viewBox(m.el);
    pointer(svg, "pointerdown", 200, 150);
    pointer(svg, "pointermove", 260, 150);
    pointer(svg, "pointerup", 260, 150);
    click(svg, 260, 150);
    expect(picks).toEqual([]);
    const after = viewBox(m.el);
    expect(after[0]).toBeLessThan(before[0]); // dragged right: the map shows more of the west
    expect(after[2]).toBeCloseTo(before[2], 6);
    // A tap (down and up in place) picks.
    pointer(svg, "pointerdown", 200, 150);
    pointer(svg, "pointerup", 200, 150);
    click(svg, 200, 150);
    expect(picks).toHaveLength(1);
    const [, , acc] = picks[0];
    expect(acc).toBeGreaterThan(10);
    expect(m.el.querySelector(".picked")).not.toBeNull();
    expect(Number(m.el.dataset.lat)).toBeCloseTo(picks[0][0], 5);
  });

  it("zooms with its buttons and the keyboard, and Enter picks the middle", () => {
    const picks: number[][] = [];
    const m = mapView({ basemap, id: "m", label: "Karta", area: null, onPick: (at) => picks.push([at.lat, at.lon]) });
    document.body.replaceChildren(m.el);
    layOut(m.el);
    const whole = viewBox(m.el);
    (m.el.querySelector("#m-zoom-in") as HTMLButtonElement).click();
    expect(viewBox(m.el)[2]).toBeCloseTo(whole[2] / 2, 0);
    m.el.dispatchEvent(new KeyboardEvent("keydown", { key: "+", bubbles: true }));
    expect(viewBox(m.el)[2]).toBeCloseTo(whole[2] / 4, 0);
    m.el.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    expect(viewBox(m.el)[0]).toBeGreaterThan(whole[0]);
    (m.el.querySelector("#m-home") as HTMLButtonElement).click();
    expect(viewBox(m.el)).toEqual(whole);
    m.el.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(picks).toHaveLength(1);
    // No area: the whole city, both districts, whose middle is between them.
    expect(picks[0][1]).toBeGreaterThan(17.85);
    expect(picks[0][1]).toBeLessThan(18.05);
  });

  it("fits a newly chosen area and names its places", () => {
    const directory = {
      organisations: [],
      areas: [
        { code: "jarva", name: "Järva", places: [{ id: "t", name: "Rinkeby torg", lat: 59.39, lon: 17.92 }, { id: "x", name: "Utan position", lat: null, lon: null }] },
        { code: "kungsholmen", name: "Kungsholmen", places: [{ id: "f", name: "Fridhemsplan", lat: 59.33, lon: 18.03 }] },
      ],
    };
    const m = mapView({ basemap, id: "m", label: "Karta", area: "jarva", places: (a) => placesOf(directory, a) });
    const names = () => [...m.el.querySelectorAll(".place-name")].map((n) => n.textContent);
    expect(names()).toEqual(["Rinkeby torg"]);
    const [x] = viewBox(m.el);
    m.setArea("kungsholmen");
    expect(m.el.querySelector(".district.current")!.getAttribute("data-area")).toBe("kungsholmen");
    expect(names()).toEqual(["Fridhemsplan"]);
    expect(viewBox(m.el)[0]).toBeGreaterThan(x);
  });

  it("says why when the basemap cannot be read", async () => {
    const shown = await mapOrProblem({ id: "m", label: "Karta" }, async () => {
      throw { code: "other", message: "broken", fields: [] };
    });
    expect(shown).toBeInstanceOf(HTMLElement);
    expect((shown as HTMLElement).getAttribute("role")).toBe("alert");
    expect((shown as HTMLElement).textContent).toContain("broken");
  });
});
