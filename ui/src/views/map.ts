// The map, drawn as SVG with no internet: the city's district outlines and
// water (the same open data the dashboard draws, embedded in the app), the
// walk's area, observations as pins coloured by severity, and — where a
// form asks for it — a position picked by tapping. Drag or pinch to move,
// the buttons or the wheel to zoom; by keyboard: arrows move, + and − zoom,
// Enter picks the middle.
import { api, type Directory } from "../api";
import { errorText } from "../context";
import { h } from "../dom";
import { icon, type IconName } from "../icons";
import { t } from "../i18n";
import {
  bounds, cornersOf, fit, pageToPoint, pageToWorld, pan, pathOf, pickAccuracy, unitsPerPx, worldX, worldY, zoom,
  type Basemap, type Box, type Point, type View,
} from "../logic/map";

const SVG = "http://www.w3.org/2000/svg";
/** Height / width of the map on the page (CSS `aspect-ratio: 4 / 3`). */
const ASPECT = 0.75;
/** A pin's radius and the picked position's ring, in CSS pixels. */
const PIN_PX = 9;
const PICKED_PX = 12;
/** A pointer that moves less than this (CSS px) between down and up is a tap. */
const TAP_PX = 6;

export interface Pin extends Point {
  id: string;
  severity: number;
  label: string;
}

/** A named place of an area, drawn as a labelled mark. */
export interface NamedPlace extends Point {
  name: string;
}

export interface MapOptions {
  basemap: Basemap;
  /** The element's id (tests and styles find the map by it). */
  id: string;
  label: string;
  /** The district to outline and fit to (an area code). */
  area?: string | null;
  pins?: Pin[];
  /** The named places of an area (drawn for the current one). */
  places?: (area: string | null) => NamedPlace[];
  /** Pick mode: the current position, and what a tap (or Enter) picks. */
  picked?: Point | null;
  onPick?: (at: Point, accuracyM: number) => void;
  /** A tap on a pin (outside pick mode). */
  onPin?: (id: string) => void;
}

export interface MapHandle {
  el: HTMLElement;
  setPins(pins: Pin[]): void;
  setPicked(at: Point | null): void;
  setArea(code: string | null): void;
}

/** The directory's named places of `area` that have a position. */
export function placesOf(directory: Directory, area: string | null): NamedPlace[] {
  return (directory.areas.find((a) => a.code === area)?.places ?? []).flatMap((p) =>
    p.lat != null && p.lon != null ? [{ name: p.name, lat: p.lat, lon: p.lon }] : [],
  );
}

let basemap: Promise<Basemap> | null = null;

/** The basemap, read from the app once. */
export function loadBasemap(): Promise<Basemap> {
  basemap ??= api.basemap().catch((e) => {
    basemap = null;
    throw e;
  });
  return basemap;
}

function svg<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export function mapView(o: MapOptions): MapHandle {
  let area = o.area ?? null;
  let pins = o.pins ?? [];
  let picked = o.picked ?? null;
  const picking = !!o.onPick;

  const districts = svg("g", { class: "districts" });
  const water = svg("path", { class: "water", d: o.basemap.water.features.map((f) => pathOf(f.geometry)).join("") });
  const outline = svg("path", { class: "area-outline" });
  const placeLayer = svg("g", { class: "places" });
  const pinLayer = svg("g", { class: "pins" });
  const pickedLayer = svg("g", { class: "picked-layer" });
  const root = svg("svg", { role: "img", "aria-label": o.label, preserveAspectRatio: "xMidYMid meet" });
  root.append(districts, water, outline, placeLayer, pinLayer, pickedLayer);

  const drawDistricts = () => {
    const current = o.basemap.districts.features.find((f) => f.properties.code === area);
    outline.setAttribute("d", current ? pathOf(current.geometry) : "");
    districts.replaceChildren(
      ...o.basemap.districts.features.map((f) => {
        const path = svg("path", { class: f.properties.code === area ? "district current" : "district", d: pathOf(f.geometry), "data-area": f.properties.code ?? "" });
        const title = svg("title", {});
        title.textContent = f.properties.name ?? "";
        path.append(title);
        return path;
      }),
    );
  };

  /** What the map should show: the area (or the whole city), its pins and the picked position. */
  const home = (): View => {
    const feature = o.basemap.districts.features.find((f) => f.properties.code === area);
    const points = [...pins, ...(picked ? [picked] : []), ...(o.places?.(area) ?? [])];
    const shapes = feature ? cornersOf(feature.geometry) : o.basemap.districts.features.flatMap((f) => cornersOf(f.geometry));
    return fit(bounds([...shapes, ...points])!, ASPECT);
  };
  let view = home();

  // The page box; before the map is on the page (or where nothing is laid
  // out) it counts as 400 px wide.
  const box = (): Box => {
    const r = root.getBoundingClientRect();
    return r.width > 0 && r.height > 0 ? r : { left: r.left, top: r.top, width: 400, height: 400 * ASPECT };
  };

  const drawPins = () => {
    const upx = unitsPerPx(box(), view);
    const r = PIN_PX * upx;
    placeLayer.replaceChildren(
      ...(o.places?.(area) ?? []).flatMap((p) => {
        const x = worldX(p.lon);
        const y = worldY(p.lat);
        const label = svg("text", { class: "place-name", x: (x + 8 * upx).toFixed(1), y: (y + 4 * upx).toFixed(1), "font-size": (13 * upx).toFixed(2) });
        label.textContent = p.name;
        return [svg("circle", { class: "place", cx: x.toFixed(1), cy: y.toFixed(1), r: (4 * upx).toFixed(2) }), label];
      }),
    );
    pinLayer.replaceChildren(
      ...pins.map((p) => {
        const c = svg("circle", { class: `pin sev-${p.severity}`, cx: worldX(p.lon).toFixed(1), cy: worldY(p.lat).toFixed(1), r: r.toFixed(2), "data-obs-id": p.id, "data-severity": p.severity });
        const title = svg("title", {});
        title.textContent = p.label;
        c.append(title);
        return c;
      }),
    );
    const ring = PICKED_PX * unitsPerPx(box(), view);
    pickedLayer.replaceChildren(
      ...(picked
        ? [
            svg("circle", { class: "picked", cx: worldX(picked.lon).toFixed(1), cy: worldY(picked.lat).toFixed(1), r: ring.toFixed(2) }),
            svg("circle", { class: "picked-dot", cx: worldX(picked.lon).toFixed(1), cy: worldY(picked.lat).toFixed(1), r: (ring / 4).toFixed(2) }),
          ]
        : []),
    );
    el.dataset.pins = String(pins.length);
    if (picked) {
      el.dataset.lat = picked.lat.toFixed(6);
      el.dataset.lon = picked.lon.toFixed(6);
    } else {
      delete el.dataset.lat;
      delete el.dataset.lon;
    }
  };

  const show = (v: View) => {
    view = v;
    root.setAttribute("viewBox", `${v.x.toFixed(1)} ${v.y.toFixed(1)} ${v.w.toFixed(1)} ${v.h.toFixed(1)}`);
    drawPins();
  };

  const pick = (at: Point) => {
    picked = at;
    drawPins();
    o.onPick!(at, pickAccuracy(box(), view, at.lat));
  };

  const button = (id: string, label: string, glyph: IconName, onclick: () => void) =>
    h("button", { type: "button", class: "map-button", id: `${o.id}-${id}`, "aria-label": label, title: label, onclick }, icon(glyph));
  const controls = h(
    "div",
    { class: "map-controls" },
    button("zoom-in", t("map.zoom_in"), "plus", () => show(zoom(view, 2))),
    button("zoom-out", t("map.zoom_out"), "minus", () => show(zoom(view, 0.5))),
    button("home", t("map.home"), "fit", () => show(home())),
  );
  const el = h(
    "div",
    {
      class: `map${picking ? " picking" : ""}`,
      id: o.id,
      tabindex: 0,
      role: "group",
      "aria-label": o.label,
      "aria-describedby": `${o.id}-help`,
    },
    h("div", { class: "map-frame" }, root, picking ? h("div", { class: "crosshair", "aria-hidden": "true" }) : null, controls),
    h("small", { class: "muted map-help", id: `${o.id}-help` }, t(picking ? "map.help_pick" : "map.help")),
  );

  // Pointers: one drags, two pinch; a tap that did not move picks (or opens a pin).
  const pointers = new Map<number, { x: number; y: number }>();
  let gesture: { view: View; x: number; y: number; spread: number; moved: boolean } | null = null;
  const spread = () => {
    const [a, b] = [...pointers.values()];
    return b ? Math.hypot(a.x - b.x, a.y - b.y) : 0;
  };
  const middle = () => {
    const all = [...pointers.values()];
    return { x: all.reduce((s, p) => s + p.x, 0) / all.length, y: all.reduce((s, p) => s + p.y, 0) / all.length };
  };
  const startGesture = (moved: boolean) => {
    const m = middle();
    gesture = { view, x: m.x, y: m.y, spread: spread(), moved };
  };
  root.addEventListener("pointerdown", (e) => {
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    // A second finger makes a pinch, never a tap.
    startGesture(pointers.size > 1);
  });
  root.addEventListener("pointermove", (e) => {
    if (!pointers.has(e.pointerId) || !gesture) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const m = middle();
    const dx = m.x - gesture.x;
    const dy = m.y - gesture.y;
    if (!gesture.moved && Math.hypot(dx, dy) < TAP_PX && pointers.size === 1) return;
    // Only a drag takes the pointer: a captured pointer's click goes to the
    // map, not to the pin a tap was on.
    if (!gesture.moved) for (const id of pointers.keys()) root.setPointerCapture?.(id);
    gesture.moved = true;
    const upx = unitsPerPx(box(), gesture.view);
    let next = pan(gesture.view, -dx * upx, -dy * upx);
    if (pointers.size === 2 && gesture.spread > 0) {
      const at = pageToWorld(box(), next, m.x, m.y);
      next = zoom(next, spread() / gesture.spread, at);
    }
    show(next);
  });
  const release = (e: PointerEvent) => {
    pointers.delete(e.pointerId);
    if (pointers.size > 0) startGesture(true);
  };
  root.addEventListener("pointerup", release);
  root.addEventListener("pointercancel", release);
  // A click follows a tap (and a WebDriver click has no pointer events at
  // all); one at the end of a drag is no tap.
  root.addEventListener("click", (e) => {
    const dragged = gesture?.moved ?? false;
    gesture = null;
    if (dragged) return;
    if (picking) return pick(pageToPoint(box(), view, e.clientX, e.clientY));
    const id = (e.target as Element).closest?.("[data-obs-id]")?.getAttribute("data-obs-id");
    if (id && o.onPin) o.onPin(id);
  });
  root.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      show(zoom(view, e.deltaY < 0 ? 1.25 : 0.8, pageToWorld(box(), view, e.clientX, e.clientY)));
    },
    { passive: false },
  );
  el.addEventListener("keydown", (e) => {
    if (e.target !== el) return;
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
    if (step) show(pan(view, (step[0] * view.w) / 8, (step[1] * view.h) / 8));
    else if (e.key === "+" || e.key === "=") show(zoom(view, 2));
    else if (e.key === "-") show(zoom(view, 0.5));
    else if (picking && (e.key === "Enter" || e.key === " ")) {
      const b = box();
      pick(pageToPoint(b, view, b.left + b.width / 2, b.top + b.height / 2));
    } else return;
    e.preventDefault();
  });

  drawDistricts();
  show(view);
  return {
    el,
    setPins(next) {
      pins = next;
      drawPins();
    },
    setPicked(at) {
      picked = at;
      drawPins();
    },
    setArea(code) {
      area = code;
      drawDistricts();
      show(home());
    },
  };
}

/** A map, or where the basemap cannot be read, a line saying so. */
export async function mapOrProblem(o: Omit<MapOptions, "basemap">, load: () => Promise<Basemap> = loadBasemap): Promise<MapHandle | HTMLElement> {
  try {
    return mapView({ ...o, basemap: await load() });
  } catch (e) {
    return h("p", { class: "field-error", role: "alert", id: o.id }, t("map.unavailable", { message: errorText(e) }));
  }
}
