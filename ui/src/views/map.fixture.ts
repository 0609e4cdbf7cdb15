// A small basemap for the DOM tests: two square districts side by side and
// a lake in the first, in Stockholm's longitudes and latitudes.
import type { Basemap, Ring } from "../logic/map";

const square = (west: number, south: number, east: number, north: number): Ring => [
  [west, south], [east, south], [east, north], [west, north], [west, south],
];

export const basemap: Basemap = {
  districts: {
    features: [
      { properties: { code: "jarva", name: "Järva" }, geometry: { type: "Polygon", coordinates: [square(17.85, 59.38, 17.95, 59.42)] } },
      { properties: { code: "kungsholmen", name: "Kungsholmen" }, geometry: { type: "MultiPolygon", coordinates: [[square(17.95, 59.32, 18.05, 59.34)]] } },
    ],
  },
  water: { features: [{ properties: {}, geometry: { type: "Polygon", coordinates: [square(17.9, 59.39, 17.91, 59.395)] } }] },
};

/** Gives a map's SVG a place on the page (happy-dom lays nothing out). */
export function layOut(el: Element, box = { left: 0, top: 0, width: 400, height: 300 }): void {
  const svg = el.querySelector("svg")!;
  svg.getBoundingClientRect = () => ({ ...box, x: box.left, y: box.top, right: box.left + box.width, bottom: box.top + box.height, toJSON: () => box }) as DOMRect;
}
