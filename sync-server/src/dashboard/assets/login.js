// The one-time code rides in the link's fragment (#…), which the browser
// never sends to a server; it is posted once, on a click (so a mail
// program's link preview cannot spend it).
const code = decodeURIComponent(location.hash.slice(1));
const button = document.getElementById("login");
const message = document.getElementById("message");

if (!code) {
  message.textContent = "Länken saknar sin kod. Be din administratör om en ny länk.";
} else {
  button.disabled = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    message.textContent = "";
    try {
      const res = await fetch("/dashboard/api/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code }),
        credentials: "same-origin",
      });
      if (res.ok) {
        history.replaceState(null, "", location.pathname);
        location.assign("/dashboard/");
        return;
      }
      const body = await res.json().catch(() => ({ error: res.statusText }));
      message.textContent =
        res.status === 401
          ? `Länken fungerar inte (${body.error}). Be din administratör om en ny länk.`
          : `Inloggningen misslyckades: ${body.error}`;
    } catch (e) {
      message.textContent = `Servern svarar inte: ${e}`;
      button.disabled = false;
    }
  });
}
