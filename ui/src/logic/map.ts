// The map's arithmetic, apart from the page: Web Mercator (as map tiles are
// drawn), the extent an area and its points need, the view a zoom or a drag
// leaves, and where on the earth a tap on the page lands. No DOM here.

/** GeoJSON as `trygg-basemap` embeds it: `[lon, lat]` in WGS 84. */
export type Ring = [number, number][];
export type Geometry = { type: "Polygon"; coordinates: Ring[] } | { type: "MultiPolygon"; coordinates: Ring[][] };
export interface Feature {
  properties: { code?: string; name?: string };
  geometry: Geometry;
}
export interface FeatureCollection {
  features: Feature[];
}
export interface Basemap {
  districts: FeatureCollection;
  water: FeatureCollection;
}

/** Map units per unit of Web Mercator (0–1 over the world): one unit is about 2 m in Stockholm. */
export const WORLD = 1e7;

export const worldX = (lon: number) => ((lon + 180) / 360) * WORLD;
export const worldY = (lat: number) => {
  const phi = (lat * Math.PI) / 180;
  return ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * WORLD;
};
export const lonOf = (x: number) => (x / WORLD) * 360 - 180;
export const latOf = (y: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / WORLD))) * 180) / Math.PI;

/** Metres on the ground per map unit at latitude `lat`. */
export const metresPerUnit = (lat: number) => (40_075_016.686 * Math.cos((lat * Math.PI) / 180)) / WORLD;

/** A rectangle of map units: what the page shows (its SVG `viewBox`). */
export interface View {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  lat: number;
  lon: number;
}

function polygons(g: Geometry): Ring[][] {
  return g.type === "Polygon" ? [g.coordinates] : g.coordinates;
}

/** The SVG path of a (multi)polygon in map units, 1 decimal (0.2 m). */
export function pathOf(g: Geometry): string {
  return polygons(g)
    .flatMap((rings) => rings.map((ring) => "M" + ring.map(([lon, lat]) => `${worldX(lon).toFixed(1)},${worldY(lat).toFixed(1)}`).join("L") + "Z"))
    .join("");
}

/** The smallest view holding every point, or `null` for none. */
export function bounds(points: Point[]): View | null {
  if (points.length === 0) return null;
  const xs = points.map((p) => worldX(p.lon));
  const ys = points.map((p) => worldY(p.lat));
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

/** Every corner of a geometry's rings, as points. */
export function cornersOf(g: Geometry): Point[] {
  return polygons(g).flatMap((rings) => rings.flatMap((ring) => ring.map(([lon, lat]) => ({ lon, lat }))));
}

/**
 * The view that shows `content` with a margin (a share of its size, and at
 * least `minWidth` map units wide), shaped `aspect` (height / width) around
 * its centre.
 */
export function fit(content: View, aspect: number, margin = 0.06, minWidth = 400): View {
  let w = Math.max(content.w * (1 + 2 * margin), minWidth);
  let h = content.h * (1 + 2 * margin);
  if (h > w * aspect) w = h / aspect;
  h = w * aspect;
  const cx = content.x + content.w / 2;
  const cy = content.y + content.h / 2;
  return { x: cx - w / 2, y: cy - h / 2, w, h };
}

/** The view made `factor` times larger (a factor above 1 zooms in), keeping `at` where it is. */
export function zoom(v: View, factor: number, at: { x: number; y: number } = { x: v.x + v.w / 2, y: v.y + v.h / 2 }): View {
  const w = v.w / factor;
  const h = v.h / factor;
  return { x: at.x - (at.x - v.x) / factor, y: at.y - (at.y - v.y) / factor, w, h };
}

/** The view moved by `dx`, `dy` map units. */
export const pan = (v: View, dx: number, dy: number): View => ({ ...v, x: v.x + dx, y: v.y + dy });

/** The page box an SVG is drawn in (`getBoundingClientRect`). */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Map units per CSS pixel and the drawing's offset in the box, as SVG's
 * default `preserveAspectRatio` (xMidYMid meet) lays a view out.
 */
function layout(box: Box, v: View) {
  const scale = Math.min(box.width / v.w, box.height / v.h);
  return {
    unitsPerPx: 1 / scale,
    left: box.left + (box.width - v.w * scale) / 2,
    top: box.top + (box.height - v.h * scale) / 2,
  };
}

/** Map units per CSS pixel of a view drawn in `box`. */
export const unitsPerPx = (box: Box, v: View) => layout(box, v).unitsPerPx;

/** The map units under a point on the page (a tap's `clientX`, `clientY`). */
export function pageToWorld(box: Box, v: View, clientX: number, clientY: number): { x: number; y: number } {
  const l = layout(box, v);
  return { x: v.x + (clientX - l.left) * l.unitsPerPx, y: v.y + (clientY - l.top) * l.unitsPerPx };
}

/** The position under a point on the page. */
export function pageToPoint(box: Box, v: View, clientX: number, clientY: number): Point {
  const w = pageToWorld(box, v, clientX, clientY);
  return { lat: latOf(w.y), lon: lonOf(w.x) };
}

/**
 * How far off a position picked by a finger may be, in metres: half a touch
 * target (22 CSS px) at the map's scale, at least 1 m.
 */
export function pickAccuracy(box: Box, v: View, lat: number): number {
  return Math.max(1, Math.round(22 * unitsPerPx(box, v) * metresPerUnit(lat)));
}
