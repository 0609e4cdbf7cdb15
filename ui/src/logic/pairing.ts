// What the first-run screen accepts: a server address and a device token, or
// one pairing code that carries both (`trygg-pair:<server>#<token>`, as the
// demo script prints it and a QR code would hold it).

export interface Pairing {
  server: string;
  token: string;
}

const PREFIX = "trygg-pair:";

/** Reads a pairing code; `null` when the text is not one. */
export function parsePairingCode(text: string): Pairing | null {
  const s = text.trim();
  if (!s.startsWith(PREFIX)) return null;
  const rest = s.slice(PREFIX.length);
  const hash = rest.lastIndexOf("#");
  if (hash <= 0 || hash === rest.length - 1) return null;
  const server = normaliseServer(rest.slice(0, hash));
  const token = rest.slice(hash + 1).trim();
  if (!server || !token) return null;
  return { server, token };
}

/** `127.0.0.1:8080` → `http://127.0.0.1:8080/`; `null` for an unusable address. */
export function normaliseServer(text: string): string | null {
  let s = text.trim();
  if (!s) return null;
  if (!/^[a-z]+:\/\//i.test(s)) s = `http://${s}`;
  try {
    const url = new URL(s);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    if (!url.hostname) return null;
    return url.origin + "/";
  } catch {
    return null;
  }
}

export type PairingErrors = Partial<Record<"server" | "token", string>>;

/** The two fields as the user filled them: a code in the token field wins. */
export function readPairingForm(server: string, token: string): Pairing | PairingErrors {
  const code = parsePairingCode(token) ?? parsePairingCode(server);
  if (code) return code;
  const errors: PairingErrors = {};
  const normalised = normaliseServer(server);
  if (!server.trim()) errors.server = "error.required";
  else if (!normalised) errors.server = "error.bad_server_address";
  if (!token.trim()) errors.token = "error.required";
  if (errors.server || errors.token) return errors;
  return { server: normalised!, token: token.trim() };
}

export function isPairing(x: Pairing | PairingErrors): x is Pairing {
  return typeof (x as Pairing).server === "string" && typeof (x as Pairing).token === "string";
}
