// Talking to /api/: JSON in and out, the session cookie, the CSRF header on writes.
"use strict";
(function () {
  let csrf = null;

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail || "HTTP " + status);
      this.status = status;
    }
  }

  async function request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
    const resp = await fetch("/api" + path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    const text = await resp.text();
    if (text) { try { data = JSON.parse(text); } catch (e) { data = { detail: text }; } }
    if (!resp.ok) throw new ApiError(resp.status, data && data.detail);
    return data;
  }

  window.KhazarApi = {
    ApiError,
    get: (path) => request("GET", path),
    post: (path, body) => request("POST", path, body === undefined ? {} : body),
    setCsrf: (token) => { csrf = token; },
  };
})();
