// The app's icons as inline SVG: drawn from paths, so they look the same on
// every device whatever fonts it has (no emoji, no glyph a font may lack).
// Decorative: the button's text says what it does.

const SVG = "http://www.w3.org/2000/svg";

/** 24 × 24 strokes, in the button's text colour. */
const PATHS = {
  camera: ["M4 8h3l2-3h6l2 3h3v11H4z", "M12 16.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z"],
  check: ["M5 12.5l4.5 4.5L19 7.5"],
  plus: ["M12 5v14", "M5 12h14"],
  minus: ["M5 12h14"],
  // Four corners: the whole area fitted into the map.
  fit: ["M4 9V4h5", "M15 4h5v5", "M20 15v5h-5", "M9 20H4v-5"],
  arrow: ["M5 12h14", "M13 6l6 6-6 6"],
} as const;

export type IconName = keyof typeof PATHS;

export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", `icon icon-${name}`);
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  for (const d of PATHS[name]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}
