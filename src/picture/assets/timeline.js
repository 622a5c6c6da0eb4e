// The timeline page. The session's token lives in this closure only: never in the URL, a cookie
// or storage, so no other site can send it and a reload signs the page out.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const childId = decodeURIComponent(location.pathname.split("/")[2] || "");
  let token = null;
  let me = null;
  let pending = null;

  async function api(path, options = {}) {
    const headers = Object.assign({}, options.headers || {});
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch(path, Object.assign({}, options, { headers }));
    if (response.status === 401 && token) {
      signedOut("Your session has ended: sign in again.");
    }
    return response;
  }

  async function problem(response) {
    try {
      const body = await response.json();
      return body.detail || body.title || response.statusText;
    } catch (_) {
      return response.status + " " + response.statusText;
    }
  }

  function signedOut(message) {
    token = null;
    me = null;
    $("timeline").hidden = true;
    $("sign-in").hidden = false;
    $("who").textContent = "";
    $("sign-in-error").textContent = message || "";
  }

  function moment(seconds) {
    return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function showMoment(seconds) {
    const iso = moment(seconds);
    $("as-of-label").textContent = iso.slice(0, 16).replace("T", " ") + " UTC";
    $("as-of-date").value = iso.slice(0, 10);
  }

  function describe(marker) {
    $("details").textContent = marker.getAttribute("aria-label");
  }

  async function draw(asOf) {
    const view = $("view").value || "shared";
    let path = "/api/v1/children/" + encodeURIComponent(childId) + "/timeline.svg?view=" + view;
    if (asOf) path += "&as_of=" + encodeURIComponent(asOf);
    const response = await api(path);
    if (!response.ok) {
      $("error").textContent = await problem(response);
      return null;
    }
    $("error").textContent = "";
    const text = await response.text();
    const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
    const svg = document.importNode(parsed.documentElement, true);
    $("picture").replaceChildren(svg);
    for (const marker of svg.querySelectorAll(".marker")) {
      marker.addEventListener("mouseenter", () => describe(marker));
      marker.addEventListener("focus", () => describe(marker));
    }
    return svg;
  }

  // Redraw once the slider rests, not at every step it passes.
  function redrawSoon() {
    const seconds = Number($("as-of").value);
    showMoment(seconds);
    clearTimeout(pending);
    pending = setTimeout(() => draw(moment(seconds)), 120);
  }

  async function open() {
    const svg = await draw(null);
    if (!svg) return;
    const start = Date.parse(svg.dataset.axisStart) / 1000;
    const end = Date.parse(svg.dataset.axisEnd) / 1000;
    const now = Math.min(Date.parse(svg.dataset.asOf) / 1000, end);
    const slider = $("as-of");
    slider.min = String(start);
    slider.max = String(end);
    slider.value = String(now);
    $("as-of-date").min = moment(start).slice(0, 10);
    $("as-of-date").max = moment(end).slice(0, 10);
    showMoment(Number(slider.value));
    await draw(moment(Number(slider.value)));
  }

  async function download(path, name) {
    const response = await api(path);
    if (!response.ok) {
      $("error").textContent = await problem(response);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  $("sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("sign-in-error").textContent = "";
    const response = await fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("username").value, password: $("password").value }),
    });
    $("password").value = "";
    if (!response.ok) {
      $("sign-in-error").textContent = await problem(response);
      return;
    }
    token = (await response.json()).access_token;
    me = await (await api("/api/v1/me")).json();
    const facilitator = me.role === "facilitator";
    for (const option of $("view").options) {
      option.hidden = !(facilitator || option.value === "shared" || option.value === me.agency);
    }
    $("view-control").hidden = false;
    $("debrief").hidden = !facilitator;
    $("who").textContent = "Signed in as " + me.display_name + (me.agency ? " (" + me.agency.replace("_", " ") + ")" : " (facilitator)");
    $("sign-in").hidden = true;
    $("timeline").hidden = false;
    await open();
  });

  $("as-of").addEventListener("input", redrawSoon);
  $("as-of").addEventListener("change", redrawSoon);
  $("as-of-date").addEventListener("change", () => {
    const chosen = Date.parse($("as-of-date").value + "T23:59:59Z") / 1000;
    if (Number.isNaN(chosen)) return;
    $("as-of").value = String(chosen);
    redrawSoon();
  });
  $("view").addEventListener("change", () => draw(moment(Number($("as-of").value))));
  $("print").addEventListener("click", () => window.print());
  $("csv").addEventListener("click", () =>
    download("/api/v1/children/" + encodeURIComponent(childId) + "/chronology.csv?as_of=" + encodeURIComponent(moment(Number($("as-of").value))), "chronology.csv"));
  $("debrief").addEventListener("click", () =>
    download("/api/v1/children/" + encodeURIComponent(childId) + "/debrief?as_of=" + encodeURIComponent(moment(Number($("as-of").value))), "debrief.html"));
  $("sign-out").addEventListener("click", async () => {
    await api("/api/v1/auth/logout", { method: "POST" });
    signedOut("Signed out.");
  });
})();
