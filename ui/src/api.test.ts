import { describe, expect, it } from "vitest";
import { bytesOf } from "./api";

describe("a command's raw answer", () => {
  it("is the same bytes whichever way the bridge hands it over", () => {
    const jpeg = [0xff, 0xd8, 0xff, 0xe0];
    expect(bytesOf(new Uint8Array(jpeg).buffer)).toEqual(new Uint8Array(jpeg));
    expect(bytesOf(jpeg)).toEqual(new Uint8Array(jpeg));
    expect(bytesOf(new Uint8Array(jpeg))).toEqual(new Uint8Array(jpeg));
  });

  it("refuses what is not bytes", () => {
    expect(() => bytesOf("ffd8")).toThrow(/expected bytes/);
    expect(() => bytesOf([256])).toThrow(/expected bytes/);
  });
});
