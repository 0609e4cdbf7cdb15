// The observation form, the same in a walk and in an EST report: category
// from the vocabulary (with search), severity, note, location (position or
// named place), photos. The draft is kept on every keystroke, so closing the
// app loses nothing; problems show inline at their field.
import { api, isAppError, type Directory, type Saved, type Target, type Vocabulary } from "../api";
import { h, fieldError } from "../dom";
import { icon } from "../icons";
import { pick, t } from "../i18n";
import {
  clearDraft, emptyDraft, fieldOf, loadDraft, photoProblem, saveDraft, validateObservation,
  type FormErrors, type LocationInput, type ObservationDraft, type PhotoView,
} from "../logic/observation";
import { searchTerms } from "../logic/vocabulary";
import type { Basemap } from "../logic/map";
import { loadBasemap, mapOrProblem, placesOf, type MapHandle } from "./map";

export interface FormDeps {
  save(target: Target, draft: ObservationDraft): Promise<Saved>;
  addPhoto(bytes: Uint8Array, mediaType: string): Promise<PhotoView>;
  photoUrl(sha256: string): Promise<string>;
  locate(): Promise<LocationInput>;
  basemap(): Promise<Basemap>;
}

export const photoUrls = new Map<string, string>();

export const appDeps: FormDeps = {
  save: (target, draft) => api.addObservation(target, draft),
  addPhoto: (bytes, type) => api.addPhoto(bytes, type),
  async photoUrl(sha) {
    const known = photoUrls.get(sha);
    if (known) return known;
    const url = URL.createObjectURL(new Blob([await api.photo(sha)]));
    photoUrls.set(sha, url);
    return url;
  },
  basemap: loadBasemap,
  locate: () =>
    new Promise((resolve, reject) => {
      if (!("geolocation" in navigator)) return reject(new Error("no geolocation"));
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy, place_id: null }),
        (e) => reject(e),
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 30000 },
      );
    }),
};

/** A photo's thumbnail; the image loads (from the device or the server) after. */
export function photoThumb(sha256: string, deps: FormDeps = appDeps): HTMLImageElement {
  const img = h("img", { class: "photo-thumb", alt: "", "data-sha256": sha256 });
  // A photo that cannot be shown says why, in place of the picture.
  const unavailable = (why: string) => {
    img.alt = t("obs.photo_unavailable");
    img.title = why;
    img.dataset.error = why;
  };
  img.addEventListener("error", () => unavailable(t("obs.photo_unreadable")));
  void deps.photoUrl(sha256).then(
    (u) => (img.src = u),
    (e) => unavailable(isAppError(e) ? e.message : String(e)),
  );
  return img;
}

export interface FormOptions {
  directory: Directory;
  vocabulary: Vocabulary;
  /** The walk's target; `null` for a report, where the user picks the area. */
  walk: string | null;
  /** The walk's area (its named places are offered). */
  area?: string;
  draftKey: string;
  itemId?: string | null;
  onSaved(saved: Saved): void;
  onCancel(): void;
  deps?: FormDeps;
}

export function observationForm(o: FormOptions): HTMLElement {
  const deps = o.deps ?? appDeps;
  const store = globalThis.localStorage;
  const draft: ObservationDraft = loadDraft(store, o.draftKey) ?? { ...emptyDraft(), item_id: o.itemId ?? null, area: o.area };
  const keep = () => saveDraft(store, o.draftKey, draft);
  const slots: Record<string, HTMLElement> = {};
  const slot = (f: string) => (slots[f] = h("div", { "data-slot": f }));
  const showErrors = (errors: FormErrors | [string, string][], translate: boolean) => {
    Object.values(slots).forEach((s) => s.replaceChildren());
    const entries = Array.isArray(errors) ? errors.map(([p, m]) => [fieldOf(p), m] as const) : Object.entries(errors);
    for (const [f, m] of entries) (slots[f] ?? slots.form).append(fieldError(f, translate ? t(m) : m)!);
    const first = entries[0]?.[0];
    if (first) slots[first]?.scrollIntoView?.({ block: "center" });
  };

  // Category: search + list of terms; the chosen one is marked.
  const groupOrder = [...o.vocabulary.groups].sort((a, b) => a.order - b.order).map((g) => g.code);
  const search = h("input", { id: "obs-search", type: "search", placeholder: t("obs.search"), autocomplete: "off" });
  const termList = h("div", { class: "terms", role: "listbox", "aria-label": t("obs.category") });
  const renderTerms = () => {
    const found = searchTerms(o.vocabulary.terms, search.value, groupOrder);
    termList.replaceChildren(
      ...found.map((term) =>
        h(
          "button",
          {
            type: "button",
            class: "term",
            role: "option",
            "data-code": term.code,
            "aria-selected": String(draft.category === term.code),
            title: pick(term.definition_sv, term.definition_en),
            onclick: () => {
              draft.category = term.code;
              slots.category.replaceChildren();
              keep();
              renderTerms();
            },
          },
          pick(term.label_sv, term.label_en),
        ),
      ),
    );
  };
  search.addEventListener("input", renderTerms);
  renderTerms();

  const severity = h(
    "div",
    { class: "segmented severity", role: "group" },
    [1, 2, 3, 4].map((n) =>
      h(
        "button",
        {
          type: "button",
          class: `sev-${n}`,
          "data-severity": n,
          "aria-pressed": String(draft.severity === n),
          onclick: () => {
            draft.severity = n;
            slots.severity.replaceChildren();
            keep();
            severity.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(Number(b.dataset.severity) === n)));
          },
        },
        t(`obs.severity.${n}`),
      ),
    ),
  );

  const note = h("textarea", { id: "obs-note", rows: 3, oninput: () => { draft.note = note.value; keep(); } });
  note.value = draft.note;

  // Location: the device's position and/or a named place of the area.
  const areaSelect = o.walk
    ? null
    : h(
        "select",
        {
          id: "obs-area",
          onchange: () => {
            draft.area = areaSelect!.value;
            slots.area.replaceChildren();
            if (draft.location) draft.location.place_id = null;
            keep();
            renderPlaces();
            map?.setArea(draft.area || null);
          },
        },
        h("option", { value: "" }, t("newwalk.choose")),
        o.directory.areas.map((a) => h("option", { value: a.code }, a.name)),
      );
  if (areaSelect) areaSelect.value = draft.area ?? "";
  const place = h("select", { id: "obs-place" });
  const renderPlaces = () => {
    const code = o.walk ? o.area : draft.area;
    const places = o.directory.areas.find((a) => a.code === code)?.places ?? [];
    place.replaceChildren(h("option", { value: "" }, t("obs.no_place")), ...places.map((p) => h("option", { value: p.id }, p.name)));
    place.value = draft.location?.place_id ?? "";
  };
  renderPlaces();
  place.addEventListener("change", () => {
    const placeId = place.value || null;
    draft.location = { ...(draft.location ?? { lat: null, lon: null, accuracy_m: null, place_id: null }), place_id: placeId };
    if (placeId) slots.location.replaceChildren();
    keep();
  });
  const position = h("span", { id: "obs-position", class: "muted" });
  let pickedOnMap = false;
  const showPosition = () => {
    const l = draft.location;
    position.textContent =
      l && l.lat !== null && l.lon !== null
        ? t("obs.position", { lat: l.lat.toFixed(5), lon: l.lon.toFixed(5), acc: Math.round(l.accuracy_m ?? 0) }) + (pickedOnMap ? ` · ${t("obs.picked")}` : "")
        : "";
  };
  // The map: a tap picks the position (or corrects the device's).
  const positionOf = (l: LocationInput | null) => (l && l.lat !== null && l.lon !== null ? { lat: l.lat, lon: l.lon } : null);
  let map: MapHandle | null = null;
  const mapSlot = h("div", { class: "map-slot" });
  void mapOrProblem(
    {
      id: "obs-map",
      label: t("map.pick"),
      area: o.walk ? o.area : draft.area,
      picked: positionOf(draft.location),
      places: (a) => placesOf(o.directory, a),
      onPick: (at, accuracy) => {
        draft.location = { lat: at.lat, lon: at.lon, accuracy_m: accuracy, place_id: draft.location?.place_id ?? null };
        pickedOnMap = true;
        slots.location.replaceChildren();
        keep();
        showPosition();
      },
    },
    () => deps.basemap(),
  ).then((m) => {
    if (!(m instanceof HTMLElement)) map = m;
    mapSlot.replaceChildren(m instanceof HTMLElement ? m : m.el);
  });
  showPosition();
  const locate = h(
    "button",
    {
      type: "button",
      id: "obs-locate",
      class: "big",
      onclick: async () => {
        slots.location.replaceChildren();
        locate.disabled = true;
        position.textContent = t("obs.locating");
        try {
          const at = await deps.locate();
          draft.location = { ...at, place_id: draft.location?.place_id ?? null };
          pickedOnMap = false;
          map?.setPicked(positionOf(draft.location));
          keep();
        } catch {
          slots.location.append(fieldError("location", t("error.no_position"))!);
        } finally {
          locate.disabled = false;
          showPosition();
        }
      },
    },
    t("obs.use_position"),
  );

  // Photos: camera or file; each is kept on the device at once.
  const thumbs = h("div", { class: "thumbs", id: "obs-photos" });
  const renderThumbs = () => {
    thumbs.replaceChildren(...draft.photos.map((p) => photoThumb(p.sha256, deps)));
  };
  renderThumbs();
  const file = h("input", {
    id: "obs-photo",
    type: "file",
    accept: "image/*",
    capture: "environment",
    multiple: true,
    onchange: async () => {
      slots.photos.replaceChildren();
      for (const f of Array.from(file.files ?? [])) {
        const problem = photoProblem(f);
        if (problem) {
          slots.photos.append(fieldError("photos", `${f.name}: ${t(problem.key, problem.params)}`)!);
          continue;
        }
        try {
          const bytes = new Uint8Array(await f.arrayBuffer());
          draft.photos.push(await deps.addPhoto(bytes, f.type));
          keep();
          renderThumbs();
        } catch (e) {
          const why = isAppError(e) ? (e.fields.length ? e.fields.map(([, m]) => m).join("; ") : e.message) : String(e);
          slots.photos.append(fieldError("photos", `${f.name}: ${why}`)!);
        }
      }
      file.value = "";
    },
  });

  const restricted = o.walk
    ? null
    : h("input", { type: "checkbox", id: "obs-restricted", checked: !!draft.restricted, onchange: () => { draft.restricted = restricted!.checked; keep(); } });
  // An everyday report may be an exercise's: it goes into a report of its own.
  const exercise = o.walk
    ? null
    : h("input", { type: "checkbox", id: "obs-exercise", checked: !!draft.exercise, onchange: () => { draft.exercise = exercise!.checked; keep(); } });

  const save = h(
    "button",
    {
      id: "obs-save",
      class: "primary big",
      type: "button",
      onclick: async () => {
        const problems = validateObservation(draft, !o.walk);
        if (Object.keys(problems).length) return showErrors(problems, true);
        const target: Target = o.walk
          ? { to: "walk", walk: o.walk }
          : { to: "report", area: draft.area!, restricted: !!draft.restricted, exercise: !!draft.exercise };
        save.disabled = true;
        const started = performance.now();
        try {
          const saved = await deps.save(target, draft);
          // Tap → durable on this device, including the bridge: kept for the e2e figures.
          form.dataset.lastSaveMs = (performance.now() - started).toFixed(2);
          clearDraft(store, o.draftKey);
          o.onSaved(saved);
        } catch (e) {
          if (isAppError(e) && e.code === "invalid") showErrors(e.fields, false);
          else showErrors({ form: t("error.not_saved", { message: isAppError(e) ? e.message : String(e) }) }, false);
        } finally {
          save.disabled = false;
        }
      },
    },
    t("obs.save"),
  );

  const form = h(
    "section",
    { class: "card observation-form", id: "observation-form" },
    h("h2", {}, t("obs.heading")),
    areaSelect ? [h("label", {}, t("obs.area"), areaSelect), slot("area")] : null,
    h("div", { class: "label" }, t("obs.category"), search, termList),
    slot("category"),
    h("div", { class: "label" }, t("obs.severity"), severity),
    slot("severity"),
    h("label", {}, t("obs.note"), note, h("small", { class: "muted" }, t("obs.note_hint"))),
    slot("note"),
    h("div", { class: "label" }, t("obs.location"), h("div", { class: "row" }, locate, position), mapSlot, h("label", {}, t("obs.place"), place)),
    slot("location"),
    h("div", { class: "label" }, t("obs.photos"), h("label", { class: "file-button big" }, icon("camera"), t("obs.add_photo"), file), thumbs),
    slot("photos"),
    restricted ? h("label", { class: "check" }, restricted, t("obs.restricted")) : null,
    exercise ? h("label", { class: "check" }, exercise, t("obs.exercise")) : null,
    slot("form"),
    h("div", { class: "buttons" }, save, h("button", { type: "button", class: "big", id: "obs-cancel", onclick: () => { clearDraft(store, o.draftKey); o.onCancel(); } }, t("obs.cancel"))),
  );
  return form;
}
