// A tiny element builder: h("button", {class: "big", onclick: save}, t("obs.save")).
// The app's screens are plain functions that return elements.

type Child = Node | string | number | null | undefined | false | Child[];
type Handler = (ev: any) => void;
export type Attrs = Record<string, string | number | boolean | Handler | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (key === "value" && "value" in el) {
      (el as HTMLInputElement).value = String(value);
    } else if (key === "checked" && "checked" in el) {
      (el as HTMLInputElement).checked = Boolean(value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

/**
 * Replaces the content of `el`, except the field being typed in (found by its
 * `data-key`): that very element moves into the new content, so focus and
 * caret stay. With `adopt`, the field takes the new content's text (a merge
 * of someone else's edit), keeping the caret's distance from the end, where
 * one types.
 */
export function replaceKeepingFocus(el: HTMLElement, content: HTMLElement, adopt = false): void {
  const refocus = keepFocused(el, content, adopt);
  el.replaceChildren(content);
  refocus();
}

/** Puts `fresh` where `old` is, keeping the field being typed in as `replaceKeepingFocus` does. */
export function swapKeepingFocus(old: Element, fresh: HTMLElement, adopt = false): void {
  const refocus = keepFocused(old, fresh, adopt);
  old.replaceWith(fresh);
  refocus();
}

/** Moves the focused field inside `within` into `content`; returns what gives it focus back. */
function keepFocused(within: Element, content: HTMLElement, adopt: boolean): () => void {
  const active = document.activeElement as HTMLInputElement | HTMLTextAreaElement | null;
  const key = active && within.contains(active) ? active.getAttribute("data-key") : null;
  const counterpart = key
    ? content.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[data-key="${CSS.escape(key)}"]`)
    : null;
  if (!active || !counterpart) return () => {};
  if (adopt && "value" in counterpart && counterpart.value !== active.value) {
    const fromEnd = active.value.length - (active.selectionEnd ?? active.value.length);
    active.value = counterpart.value;
    // The field now shows the merged text: later keystrokes build on it.
    active.dataset.sent = counterpart.value;
    const at = Math.max(0, active.value.length - fromEnd);
    try {
      active.setSelectionRange(at, at);
    } catch {
      /* inputs of some types have no caret */
    }
  }
  counterpart.replaceWith(active);
  return () => {
    if (document.activeElement !== active) active.focus();
  };
}

export function fieldError(field: string, message: string | undefined): HTMLElement | null {
  return message ? h("p", { class: "field-error", role: "alert", "data-error-for": field }, message) : null;
}
