import { describe, expect, it } from "vitest";
import {
  bounds, cornersOf, fit, latOf, lonOf, metresPerUnit, pageToPoint, pageToWorld, pan, pathOf, pickAccuracy,
  unitsPerPx, worldX, worldY, zoom, type Geometry,
} from "./map";

// Sergels torg and Rinkeby torg, roughly.
const sergel = { lat: 59.3326, lon: 18.0649 };
const rinkeby = { lat: 59.3881, lon: 17.9284 };

describe("the map's arithmetic", () => {
  it("projects and unprojects a position", () => {
    for (const p of [sergel, rinkeby]) {
      expect(latOf(worldY(p.lat))).toBeCloseTo(p.lat, 9);
      expect(lonOf(worldX(p.lon))).toBeCloseTo(p.lon, 9);
    }
    // North is up: a position further north has a smaller y.
    expect(worldY(rinkeby.lat)).toBeLessThan(worldY(sergel.lat));
    expect(worldX(rinkeby.lon)).toBeLessThan(worldX(sergel.lon));
  });

  it("measures about 2 m per unit in Stockholm", () => {
    // Rinkeby to Sergels torg: about 10.3 km.
    const dx = (worldX(sergel.lon) - worldX(rinkeby.lon)) * metresPerUnit(59.36);
    const dy = (worldY(rinkeby.lat) - worldY(sergel.lat)) * metresPerUnit(59.36);
    expect(Math.hypot(dx, dy)).toBeGreaterThan(9_800);
    expect(Math.hypot(dx, dy)).toBeLessThan(10_800);
    expect(metresPerUnit(59.33)).toBeCloseTo(2.05, 1);
  });

  it("writes a polygon's rings as a closed path", () => {
    const g: Geometry = { type: "MultiPolygon", coordinates: [[[[18, 59.3], [18.1, 59.3], [18.1, 59.4], [18, 59.3]]], [[[17.9, 59.3], [17.95, 59.3], [17.9, 59.35], [17.9, 59.3]]]] };
    const d = pathOf(g);
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/Z/g)).toHaveLength(2);
    expect(d.startsWith(`M${worldX(18).toFixed(1)},${worldY(59.3).toFixed(1)}L`)).toBe(true);
    expect(cornersOf(g)).toHaveLength(8);
  });

  it("fits an area with a margin in the page's shape", () => {
    const b = bounds([sergel, rinkeby])!;
    const v = fit(b, 0.75);
    expect(v.h / v.w).toBeCloseTo(0.75, 9);
    expect(v.x).toBeLessThan(b.x);
    expect(v.x + v.w).toBeGreaterThan(b.x + b.w);
    expect(v.y).toBeLessThan(b.y);
    expect(v.y + v.h).toBeGreaterThan(b.y + b.h);
    // One point alone still gets a street's worth of map around it.
    const one = fit(bounds([sergel])!, 0.75);
    expect(one.w).toBe(400);
    expect(one.x + one.w / 2).toBeCloseTo(worldX(sergel.lon), 6);
    expect(bounds([])).toBeNull();
  });

  it("zooms about a point, which stays where it was", () => {
    const v = { x: 100, y: 200, w: 400, h: 300 };
    const at = { x: 150, y: 260 };
    const z = zoom(v, 2, at);
    expect(z.w).toBe(200);
    expect(z.h).toBe(150);
    expect((at.x - z.x) / z.w).toBeCloseTo((at.x - v.x) / v.w, 9);
    expect((at.y - z.y) / z.h).toBeCloseTo((at.y - v.y) / v.h, 9);
    expect(zoom(zoom(v, 2), 0.5)).toEqual(v);
    expect(pan(v, 10, -5)).toEqual({ x: 110, y: 195, w: 400, h: 300 });
  });

  it("finds the position under a tap, also where the box is wider than the view", () => {
    const v = fit(bounds([sergel, rinkeby])!, 0.75);
    const box = { left: 20, top: 100, width: 400, height: 300 };
    // The box's centre is the view's centre; its corner the view's corner.
    const c = pageToWorld(box, v, 220, 250);
    expect(c.x).toBeCloseTo(v.x + v.w / 2, 6);
    expect(c.y).toBeCloseTo(v.y + v.h / 2, 6);
    const corner = pageToPoint(box, v, 20, 100);
    expect(corner.lon).toBeCloseTo(lonOf(v.x), 9);
    expect(corner.lat).toBeCloseTo(latOf(v.y), 9);
    // A box twice as wide draws the view centred in it (xMidYMid meet).
    const wide = { left: 0, top: 0, width: 800, height: 300 };
    expect(pageToWorld(wide, v, 200, 0).x).toBeCloseTo(v.x, 6);
    expect(unitsPerPx(wide, v)).toBeCloseTo(v.h / 300, 9);
  });

  it("says how far off a finger's pick may be", () => {
    const box = { left: 0, top: 0, width: 400, height: 300 };
    const street = fit(bounds([sergel])!, 0.75); // 400 units ≈ 820 m over 400 px
    expect(pickAccuracy(box, street, sergel.lat)).toBe(Math.round(22 * 1 * metresPerUnit(sergel.lat)));
    const city = fit(bounds([sergel, rinkeby])!, 0.75);
    expect(pickAccuracy(box, city, sergel.lat)).toBeGreaterThan(500);
    expect(pickAccuracy(box, zoom(street, 100), sergel.lat)).toBe(1);
  });
});
