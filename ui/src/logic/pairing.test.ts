import { describe, expect, it } from "vitest";
import { isPairing, normaliseServer, parsePairingCode, readPairingForm } from "./pairing";

describe("pairing", () => {
  it("reads a pairing code with server and token", () => {
    expect(parsePairingCode(" trygg-pair:http://10.0.0.5:8080#trygg_abc ")).toEqual({
      server: "http://10.0.0.5:8080/",
      token: "trygg_abc",
    });
    expect(parsePairingCode("trygg-pair:10.0.0.5:8080#t")).toEqual({
      server: "http://10.0.0.5:8080/",
      token: "t",
    });
  });

  it("refuses codes without a token or server", () => {
    expect(parsePairingCode("trygg-pair:http://x#")).toBeNull();
    expect(parsePairingCode("trygg-pair:#tok")).toBeNull();
    expect(parsePairingCode("trygg_abc")).toBeNull();
  });

  it("normalises server addresses and rejects others", () => {
    expect(normaliseServer("127.0.0.1:8080")).toBe("http://127.0.0.1:8080/");
    expect(normaliseServer("https://trygg.example.se/path")).toBe("https://trygg.example.se/");
    expect(normaliseServer("ftp://x")).toBeNull();
    expect(normaliseServer("   ")).toBeNull();
    expect(normaliseServer("http://")).toBeNull();
  });

  it("names each missing or bad field", () => {
    expect(readPairingForm("", "")).toEqual({ server: "error.required", token: "error.required" });
    expect(readPairingForm("ftp://x", "t")).toEqual({ server: "error.bad_server_address" });
    const ok = readPairingForm("localhost:8080", " trygg_1 ");
    expect(isPairing(ok) && ok).toEqual({ server: "http://localhost:8080/", token: "trygg_1" });
    const code = readPairingForm("", "trygg-pair:http://h:1#tok");
    expect(isPairing(code) && code.token).toBe("tok");
  });
});
