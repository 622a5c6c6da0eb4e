// The facilitator's page for an exercise. As on the timeline page, the session's token lives in
// this closure only: never in the URL, a cookie or storage.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const exerciseId = decodeURIComponent(location.pathname.split("/")[2] || "");
  const base = "/api/v1/exercises/" + encodeURIComponent(exerciseId);
  let token = null;
  let refreshToken = null;
  let busy = false;

  // A training day outlasts an access token: a refused one is renewed once with the refresh token
  // (kept in this closure too) and the request sent again.
  async function renew() {
    if (!refreshToken) return false;
    const response = await fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    if (!response.ok) return false;
    const tokens = await response.json();
    token = tokens.access_token;
    refreshToken = tokens.refresh_token;
    return true;
  }

  async function api(path, options = {}, again = true) {
    const headers = Object.assign({}, options.headers || {});
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch(path, Object.assign({}, options, { headers }));
    if (response.status === 401 && token) {
      if (again && (await renew())) return api(path, options, false);
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
    refreshToken = null;
    $("exercise").hidden = true;
    $("sign-in").hidden = false;
    $("who").textContent = "";
    $("sign-in-error").textContent = message || "";
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function button(text, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
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

  function show(exercise) {
    $("title").textContent = exercise.name;
    const clock = exercise.clock ? "; scenario clock " + exercise.clock.slice(0, 16).replace("T", " ") + " UTC" : "";
    $("status").textContent = "Scenario " + exercise.scenario + ": " + exercise.state + ", " +
      exercise.checkpoints_released + " of " + exercise.checkpoint_count + " checkpoints released" + clock + ".";
    $("status").dataset.state = exercise.state;
    $("status").dataset.released = String(exercise.checkpoints_released);
    const c = exercise.checkpoint;
    $("question").textContent = c ? "Checkpoint " + c.number + ", " + c.title + (c.question ? ": " + c.question : "") : "";
    const ended = exercise.state === "ended";
    $("advance").disabled = ended || exercise.checkpoints_released >= exercise.checkpoint_count;
    $("reset").disabled = ended;
    $("end").disabled = ended;
    const checkpoint = $("reset-checkpoint");
    const chosen = checkpoint.value;
    checkpoint.replaceChildren();
    for (let n = 0; n <= exercise.checkpoints_released; n++) {
      const option = document.createElement("option");
      option.value = String(n);
      option.textContent = n === 0 ? "the start" : String(n);
      checkpoint.appendChild(option);
    }
    if (chosen && Number(chosen) <= exercise.checkpoints_released) checkpoint.value = chosen;
    const teamSelect = $("reset-team");
    if (teamSelect.options.length !== exercise.teams.length + 1) {
      for (const t of exercise.teams) {
        const option = document.createElement("option");
        option.value = String(t.number);
        option.textContent = "team " + t.number;
        teamSelect.appendChild(option);
      }
    }
    const body = $("teams").tBodies[0];
    body.replaceChildren();
    for (const t of exercise.teams) {
      const row = document.createElement("tr");
      row.dataset.team = String(t.number);
      cell(row, "Team " + t.number);
      cell(row, t.checkpoints_reached + " of " + exercise.checkpoint_count + " checkpoints (" + t.steps_played + " of " + t.steps + " steps)").className = "progress";
      const score = t.score || { points: 0, possible: 0, met: 0, met_late: 0, missed: 0 };
      cell(row, score.points + " / " + score.possible).className = "score";
      cell(row, String(score.met));
      cell(row, String(score.met_late));
      cell(row, String(score.missed));
      const links = cell(row, "");
      if (t.child_id) {
        const a = document.createElement("a");
        a.href = t.timeline;
        a.textContent = "Timeline";
        a.className = "timeline";
        // Its own tab: leaving this page would sign it out.
        a.target = "_blank";
        a.rel = "noopener";
        links.appendChild(a);
        links.appendChild(document.createTextNode(" "));
        links.appendChild(button("Debrief", () =>
          download("/api/v1/children/" + encodeURIComponent(t.child_id) + "/debrief", "team-" + t.number + "-debrief.html")));
      }
      body.appendChild(row);
    }
  }

  async function refresh() {
    const response = await api(base);
    if (!response.ok) {
      $("error").textContent = await problem(response);
      return;
    }
    show(await response.json());
  }

  // A fresh key per click: a retried request creates nothing twice. (crypto.randomUUID needs a
  // secure context; a training room may reach the service over plain HTTP.)
  function key() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  async function act(path, body) {
    if (busy) return;
    busy = true;
    $("error").textContent = "";
    $("status").textContent = "Working…";
    try {
      const response = await api(base + path, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": key() },
        body: JSON.stringify(body),
      });
      if (!response.ok) $("error").textContent = await problem(response);
    } catch (error) {
      $("error").textContent = "The service could not be reached: " + error.message;
    } finally {
      busy = false;
      if (token) await refresh().catch(() => {});
    }
  }

  $("sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("sign-in-error").textContent = "";
    $("error").textContent = "";
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
    const tokens = await response.json();
    token = tokens.access_token;
    refreshToken = tokens.refresh_token;
    const me = await (await api("/api/v1/me")).json();
    $("who").textContent = "Signed in as " + me.display_name;
    $("sign-in").hidden = true;
    $("exercise").hidden = false;
    await refresh();
  });

  $("advance").addEventListener("click", () => act("/advance", {}));
  $("reset").addEventListener("click", () => {
    const body = { checkpoint: Number($("reset-checkpoint").value) };
    if ($("reset-team").value) body.team = Number($("reset-team").value);
    return act("/reset", body);
  });
  $("end").addEventListener("click", () => act("/end", {}));
  $("room-debrief").addEventListener("click", () => download(base + "/debrief", "exercise-debrief.html"));
  $("sign-out").addEventListener("click", async () => {
    await api("/api/v1/auth/logout", { method: "POST" });
    signedOut("Signed out.");
  });
})();
