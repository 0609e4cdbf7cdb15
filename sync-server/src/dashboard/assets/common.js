// What the dashboard's section modules share: JSON requests that fail with
// the server's own message, and an element builder that sets text only
// (never markup from data).

export async function api(path, init) {
  const res = await fetch(path, { credentials: "same-origin", ...init });
  const body = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw Object.assign(new Error(body.error ?? res.statusText), { status: res.status });
  return body;
}

export function el(name, text, attrs = {}) {
  const e = document.createElement(name);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export const $ = (id) => document.getElementById(id);
