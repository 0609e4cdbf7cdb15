import { describe, expect, it } from "vitest";
import {
  MAX_PHOTO_BYTES, clearDraft, emptyDraft, fieldOf, loadDraft, photoProblem, saveDraft, validateObservation,
} from "./observation";

describe("observation form rules", () => {
  it("names every missing field of an empty draft", () => {
    expect(validateObservation(emptyDraft(), true)).toEqual({
      category: "error.category",
      severity: "error.severity",
      location: "error.location",
      area: "error.required",
    });
  });

  it("accepts a named place or a position as location", () => {
    const d = { ...emptyDraft(), category: "klotter", severity: 2 };
    expect(validateObservation({ ...d, location: { lat: null, lon: null, accuracy_m: null, place_id: "p1" } }, false)).toEqual({});
    expect(validateObservation({ ...d, location: { lat: 59.3, lon: 18.0, accuracy_m: 5, place_id: null } }, false)).toEqual({});
    expect(validateObservation({ ...d, location: { lat: 59.3, lon: null, accuracy_m: null, place_id: "" } }, false)).toEqual({
      location: "error.location",
    });
  });

  it("refuses photos that are too large or not images", () => {
    expect(photoProblem({ size: 1000, type: "image/jpeg" })).toBeNull();
    expect(photoProblem({ size: MAX_PHOTO_BYTES + 1, type: "image/jpeg" })?.key).toBe("error.photo_too_large");
    expect(photoProblem({ size: 10, type: "application/pdf" })?.key).toBe("error.photo_type");
    expect(photoProblem({ size: 10, type: "image/heic" })?.key).toBe("error.photo_heic");
    expect(photoProblem({ size: 10, type: "image/webp" })).toBeNull();
  });

  it("maps server paths to form fields", () => {
    expect(fieldOf("observations.01HX.location")).toBe("location");
    expect(fieldOf("severity")).toBe("severity");
    expect(fieldOf("observations.01HX.photos.0.size")).toBe("photos");
  });

  it("keeps a draft across restarts until cleared", () => {
    const d = { ...emptyDraft(), note: "Lampan vid porten är trasig" };
    saveDraft(localStorage, "walk:1", d);
    expect(loadDraft(localStorage, "walk:1")?.note).toBe("Lampan vid porten är trasig");
    clearDraft(localStorage, "walk:1");
    expect(loadDraft(localStorage, "walk:1")).toBeNull();
    localStorage.setItem("trygg.draft.bad", "{");
    expect(loadDraft(localStorage, "bad")).toBeNull();
  });
});
