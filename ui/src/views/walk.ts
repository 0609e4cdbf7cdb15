// The walk screen: checklist answers (finger-sized), observations, completion.
// Every answer and every keystroke is saved at once; changes from other
// devices re-render the screen live, keeping the field being typed in.
import { api, isAppError, onEvent, type ObservationView, type WalkUpdate, type WalkView } from "../api";
import { h, replaceKeepingFocus, swapKeepingFocus } from "../dom";
import { icon } from "../icons";
import { pick, t } from "../i18n";
import { missingRequired, progress, withParts, type AnswerInput, type ItemView } from "../logic/walk";
import { areaName, errorText, formatTime, orgName, placeName, termLabel, type Ctx } from "../context";
import { observationForm, photoThumb } from "./observationForm";
import { actionForm } from "./actions";
import { itemRow as itemRowOf, sectionCard } from "./item";
import { mapOrProblem, placesOf, type MapHandle, type Pin } from "./map";

export async function walkScreen(ctx: Ctx, id: string): Promise<HTMLElement> {
  const root = h("div", { class: "screen walk", id: "walk", "data-walk-id": id });
  const body = h("div");
  const overlay = h("div", { class: "overlay", hidden: true });
  root.append(body, overlay);
  let walk: WalkView;
  let missing = new Set<string>();
  // Edits go one after another, in keystroke order; a refresh reads the walk
  // only after the edits before it are saved, and a keystroke made while it
  // reads makes it read again rather than show text older than the field's.
  let saving: Promise<unknown> = Promise.resolve();
  let edits = 0;
  const enqueue = <T>(f: () => Promise<T>): Promise<T> => {
    edits++;
    const next = saving.then(f, f);
    saving = next.catch(() => {});
    return next;
  };
  const itemErrors: Record<string, string> = {};
  // Made once the walk is read; kept across redraws (with its zoom).
  let map: MapHandle | HTMLElement;

  // An observation's own position, else its named place's.
  const pinsOf = (observations: ObservationView[]): Pin[] =>
    observations.flatMap((o) => {
      const place = ctx.directory.areas.find((a) => a.code === walk.area)?.places.find((p) => p.id === o.location?.place_id);
      const lat = o.location?.lat ?? place?.lat;
      const lon = o.location?.lon ?? place?.lon;
      if (lat == null || lon == null) return [];
      return [{ id: o.id, lat, lon, severity: o.severity, label: `${termLabel(ctx, o.category)} · ${t(`obs.severity.${o.severity}`)}` }];
    });
  // Redrawn only when a pin moved, came or went (not on every keystroke in a note).
  let shownPins = "";
  const showPins = () => {
    if (map instanceof HTMLElement) return;
    const pins = pinsOf(walk.observations);
    const key = pins.map((p) => `${p.id} ${p.lat} ${p.lon} ${p.severity} ${p.label}`).join("|");
    if (key !== shownPins) map.setPins(pins);
    shownPins = key;
  };
  const showObservation = (obsId: string) => {
    const row = body.querySelector<HTMLElement>(`.observation[data-obs-id="${CSS.escape(obsId)}"]`);
    if (!row) return;
    row.scrollIntoView?.({ block: "center" });
    row.classList.add("flash");
    setTimeout(() => row.classList.remove("flash"), 1500);
  };

  const closeOverlay = () => {
    overlay.hidden = true;
    overlay.replaceChildren();
  };

  const render = (adopt = false) => {
    root.dataset.heads = walk.heads.join(",");
    root.dataset.status = walk.status;
    root.dataset.observations = String(walk.observations.length);
    replaceKeepingFocus(
      body,
      h(
        "div",
        {},
        h(
          "div",
          { class: "screen-head" },
          h("button", { class: "back", onclick: () => ctx.navigate({ name: "walks" }) }, "‹ " + t("walk.back")),
          h("div", {}, h("h1", {}, walk.route_name), h("p", { class: "muted" }, `${areaName(ctx, walk.area)} · ${t(`light.${walk.light}`)} · ${pick(walk.template_title_sv, walk.template_title_en)}`)),
          h("span", { id: "walk-status", class: `badge status-${walk.status}` }, t(`status.${walk.status}`)),
          walk.exercise ? h("span", { id: "walk-exercise", class: "badge exercise" }, t("exercise.badge")) : null,
        ),
        walk.status === "planned" && walk.planned_at !== null ? h("p", { id: "walk-planned", class: "muted" }, t("walk.planned_for", { when: formatTime(walk.planned_at) })) : null,
        walk.groups.length
          ? h("section", { class: "card", id: "walk-groups" }, h("h2", {}, t("walk.groups")), h("ul", {}, walk.groups.map((g) => h("li", {}, h("strong", {}, g.name), ` – ${g.route}`))))
          : null,
        progressLine(),
        walk.read_only ? h("p", { id: "walk-read-only", class: "notice", role: "status" }, t("walk.read_only")) : null,
        h("div", { class: "sticky-actions" },
          walk.editable ? h("button", { id: "add-observation", class: "primary big", onclick: () => openObservation(null) }, icon("plus"), t("walk.add_observation")) : null,
        ),
        walk.sections.map((s) => sectionCard(s, itemRow)),
        h("section", { class: "card", id: "walk-map-card" }, h("h2", {}, t("walk.map")), map instanceof HTMLElement ? map : map.el),
        h("section", { class: "card" }, h("h2", {}, t("walk.observations")), observationList()),
        h("div", { id: "walk-completion" }, completion()),
      ),
      adopt,
    );
  };

  const progressLine = () => {
    const p = progress(walk.sections, walk.answers);
    return h("p", { class: "muted", id: "walk-progress" }, `${p.answered}/${p.total} · ${walk.organisations.map((o) => orgName(ctx, o)).join(", ")}`);
  };

  // Redraws only what changed: the changed items and observations, the
  // progress line and the completion card. Anything else (status, access,
  // organisations) comes as the whole walk and redraws the screen.
  const apply = (u: WalkUpdate, adopt: boolean) => {
    if (u.kind === "whole") {
      walk = u.walk;
      showPins();
      return render(adopt);
    }
    const accessChanged = u.editable !== walk.editable || u.read_only !== walk.read_only;
    walk = { ...walk, heads: u.heads, editable: u.editable, read_only: u.read_only, ...withParts(walk.answers, walk.observations, u) };
    if (accessChanged) return render(adopt);
    root.dataset.heads = walk.heads.join(",");
    root.dataset.observations = String(walk.observations.length);
    const items = new Map(walk.sections.flatMap((s) => s.items).map((i) => [i.id, i]));
    for (const id of Object.keys(u.answers)) {
      const old = body.querySelector(`[data-item="${CSS.escape(id)}"]`);
      const item = items.get(id);
      if (old && item) swapKeepingFocus(old, itemRow(item), adopt);
    }
    const list = body.querySelector("#observation-list");
    if (u.removed.length || u.observations.length) showPins();
    if (list && (u.removed.length || u.observations.length)) {
      if (walk.observations.length === 0 || !list.querySelector("ul")) swapKeepingFocus(list, observationList(), adopt);
      else {
        for (const gone of u.removed) list.querySelector(`[data-obs-id="${CSS.escape(gone)}"]`)?.remove();
        const ul = list.querySelector("ul")!;
        for (const o of u.observations) {
          const fresh = observationRow(o);
          const old = ul.querySelector(`[data-obs-id="${CSS.escape(o.id)}"]`);
          if (old) swapKeepingFocus(old, fresh, adopt);
          else ul.insertBefore(fresh, ul.children[walk.observations.indexOf(o)] ?? null);
        }
      }
    }
    body.querySelector("#walk-progress")?.replaceWith(progressLine());
    body.querySelector("#walk-completion")?.replaceWith(h("div", { id: "walk-completion" }, completion()));
  };

  const save = (item: string, answer: AnswerInput | null) => saveWith(item, () => api.answer(id, item, answer));

  const saveWith = async (item: string, call: () => Promise<void>) => {
    const hadError = item in itemErrors;
    delete itemErrors[item];
    try {
      await enqueue(call);
      missing.delete(item);
    } catch (e) {
      itemErrors[item] = isAppError(e) && e.code === "invalid" ? e.fields.map(([, m]) => m).join("; ") : errorText(e);
      return render();
    }
    // The change itself re-renders the walk (`doc-changed`); only a cleared error needs it now.
    if (hadError) render();
  };

  const itemRow = (item: ItemView) => {
    const answer = walk.answers[item.id];
    return itemRowOf(item, {
      answer,
      disabled: !walk.editable,
      error: itemErrors[item.id] ?? (missing.has(item.id) ? t("answer.required") : undefined),
      missing: missing.has(item.id),
      terms: ctx.vocabulary.terms,
      places: ctx.directory.areas.find((a) => a.code === walk.area)?.places ?? [],
      onAnswer: (a) => void save(item.id, a),
      onInvalidNumber: (text) => {
        itemErrors[item.id] = t("error.generic", { message: text });
      },
      onText: (before, now) => void saveWith(item.id, () => api.answerText(id, item.id, before, now)),
      onPhoto: async (f) => {
        const current = answer?.kind === "photos" ? answer.value : [];
        try {
          const photo = await api.addPhoto(new Uint8Array(await f.arrayBuffer()), f.type);
          await save(item.id, { kind: "photos", value: [...current, photo] });
        } catch (e) {
          itemErrors[item.id] = errorText(e);
          render();
        }
      },
      photoThumb: (sha256) => photoThumb(sha256),
      onObservation: walk.editable ? () => openObservation(item.id) : null,
    });
  };

  const observationList = () =>
    h(
      "div",
      { id: "observation-list" },
      walk.observations.length === 0
        ? h("p", { class: "empty" }, t("walk.no_observations"))
        : h("ul", { class: "observations" }, walk.observations.map((o) => observationRow(o))),
    );

  const observationRow = (o: ObservationView) => {
    const note = h("textarea", { rows: 2, "data-key": `note:${o.id}`, disabled: !walk.editable, "aria-label": t("obs.note") });
    note.value = o.note;
    note.addEventListener("input", () => {
      // What this field showed before the keystroke: the base of the change.
      const before = note.dataset.sent ?? o.note;
      const text = note.value;
      note.dataset.sent = text;
      void enqueue(() => api.setNote(o.doc_id, o.id, before, text))
        .then(() => {
          // What of this field is on disk (the app bench times keystrokes by it).
          note.dataset.saved = text;
        })
        .catch((e) => ctx.toast(errorText(e), "error"));
    });
    const thumbs = o.photos.map((p) => photoThumb(p.sha256));
    const where = [placeName(ctx, o.location?.place_id), o.location?.lat != null ? `${o.location.lat.toFixed(4)}, ${o.location.lon?.toFixed(4)}` : ""].filter(Boolean).join(" · ");
    return h(
      "li",
      { class: "observation", "data-obs-id": o.id },
      h("div", { class: "row" }, h("span", { class: `badge sev-${o.severity}` }, t(`obs.severity.${o.severity}`)), h("strong", {}, termLabel(ctx, o.category)), h("span", { class: "muted" }, `${formatTime(o.observed_at)} · ${orgName(ctx, o.organisation)}`)),
      where ? h("div", { class: "muted" }, t("obs.location") + ": " + where) : null,
      note,
      h("div", { class: "thumbs" }, thumbs),
      h("button", { class: "link", onclick: () => openAction(o) }, icon("arrow"), t("walk.propose_action")),
    );
  };

  const completion = () => {
    if (walk.read_only) return null;
    if (walk.status === "completed" || walk.status === "reported") {
      return h("section", { class: "card" }, h("p", {}, t("walk.completed_note")), walk.status === "completed" ? h("button", { class: "big", id: "reopen-walk", onclick: () => setStatus("in_progress") }, t("walk.reopen")) : null);
    }
    const n = missingRequired(walk.sections, walk.answers).length;
    return h(
      "section",
      { class: "card" },
      missing.size ? h("p", { class: "field-error", role: "alert", id: "missing-required" }, t("walk.missing_required", { n })) : null,
      walk.status === "planned" ? h("button", { class: "big", id: "start-walk", onclick: () => setStatus("in_progress") }, t("walk.start")) : null,
      h("button", { class: "primary big", id: "complete-walk", onclick: complete }, icon("check"), t("walk.complete")),
    );
  };

  const setStatus = async (status: string) => {
    try {
      await api.setWalkStatus(id, status);
    } catch (e) {
      ctx.toast(errorText(e), "error");
    }
    await refresh();
  };

  const complete = async () => {
    missing = new Set(missingRequired(walk.sections, walk.answers));
    if (missing.size === 0) {
      try {
        await api.setWalkStatus(id, "completed");
      } catch (e) {
        if (isAppError(e) && e.code === "invalid") missing = new Set(e.fields.map(([f]) => f));
        else ctx.toast(errorText(e), "error");
      }
    }
    await refresh();
    if (missing.size) {
      // The marks are on many items: draw them all.
      render();
      root.querySelector(".item.missing")?.scrollIntoView?.({ block: "center" });
    }
  };

  const openObservation = (itemId: string | null) => {
    overlay.replaceChildren(
      observationForm({
        directory: ctx.directory,
        vocabulary: ctx.vocabulary,
        walk: id,
        area: walk.area,
        draftKey: `walk:${id}:${itemId ?? ""}`,
        itemId,
        onSaved: () => {
          // The saved change re-renders the walk through `doc-changed`.
          closeOverlay();
          ctx.toast(t("obs.saved"));
        },
        onCancel: closeOverlay,
      }),
    );
    overlay.hidden = false;
  };

  const openAction = (o: ObservationView) => {
    overlay.replaceChildren(actionForm(ctx, o, closeOverlay));
    overlay.hidden = false;
  };

  // Reads what changed since the heads on screen once the edits before it
  // are saved; a keystroke made while it reads makes it read again rather
  // than put text older than the field's into it.
  const refresh = async () => {
    let update: WalkUpdate | null = null;
    for (let attempt = 0; attempt < 20; attempt++) {
      const before = edits;
      await saving;
      const started = performance.now();
      try {
        update = await api.walkUpdate(id, walk.heads);
      } catch (e) {
        return ctx.toast(errorText(e), "error");
      }
      if (edits === before) {
        apply(update, true);
        // How long reading and drawing the change took (the app bench reads it).
        root.dataset.refreshMs = (performance.now() - started).toFixed(2);
        return;
      }
    }
    if (update) apply(update, false);
  };

  walk = await api.walk(id);
  map = await mapOrProblem({ id: "walk-map", label: t("map.walk"), area: walk.area, places: (a) => placesOf(ctx.directory, a), onPin: showObservation });
  showPins();
  render();
  await api.watchDocument(id);
  const unlisten = await onEvent<string>("doc-changed", (changed) => {
    if (!root.isConnected) return void unlisten();
    if (changed === id) void refresh();
  });
  return root;
}
