// The console's calls to its server. DynamoDB calls go to /console/api with
// X-Amz-Target and DynamoDB's JSON body, and run as the signed-in user.
// The CSRF token is kept in memory only (never in browser storage).

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, body) {
    const type = String(body.__type ?? "Error");
    super(body.message ?? body.Message ?? `HTTP ${status}`);
    this.status = status;
    this.type = type.slice(type.indexOf("#") + 1);
    this.body = body;
  }
}

async function request(method, path, headers = {}, body) {
  const response = await fetch(path, {
    method,
    headers: csrfToken ? { ...headers, "X-Halyard-Csrf": csrfToken } : headers,
    body,
    credentials: "same-origin",
    cache: "no-store",
  });
  const text = await response.text();
  let parsed = {};
  try { parsed = text ? JSON.parse(text) : {}; } catch { parsed = { message: text }; }
  if (!response.ok) {
    const error = new ApiError(response.status, parsed);
    error.auth = response.headers.get("x-halyard-auth");
    if (error.type === "NoSession" && onSignedOut) onSignedOut(error);
    throw error;
  }
  return parsed;
}

let onSignedOut = null;
// Called when a call finds the session gone.
export function whenSignedOut(callback) { onSignedOut = callback; }

// The current session, or an ApiError (with .auth: "sigv4" or "off").
export async function currentSession() {
  const saved = onSignedOut;
  onSignedOut = null;
  try {
    const session = await request("GET", "api/session");
    csrfToken = session.csrfToken;
    return session;
  } finally {
    onSignedOut = saved;
  }
}

export async function signIn(accessKeyId, secretAccessKey, sessionToken) {
  const session = await request("POST", "api/session", { "Content-Type": "application/json" },
    JSON.stringify({ accessKeyId, secretAccessKey, sessionToken }));
  csrfToken = session.csrfToken;
  return session;
}

export async function signOut() {
  try { await request("DELETE", "api/session"); } finally { csrfToken = null; }
}

// One DynamoDB operation, e.g. call("Query", {TableName: ...}).
export function call(operation, body, service = "DynamoDB_20120810") {
  return request("POST", "api", {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": `${service}.${operation}`,
  }, JSON.stringify(body));
}

// One DynamoDB Streams operation.
export function streamsCall(operation, body) {
  return call(operation, body, "DynamoDBStreams_20120810");
}

// Which of the console's actions the user's policies allow on a table.
export function allowed(table) {
  return request("POST", "api/allowed", { "Content-Type": "application/json" }, JSON.stringify({ table }));
}

// One IAM action (query protocol), e.g. iam("ListUsers", {MaxItems: "100"});
// returns IAM's XML answer as a document.
export async function iam(action, params = {}) {
  const response = await fetch("api/iam", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Halyard-Csrf": csrfToken ?? "" },
    body: new URLSearchParams({ Action: action, Version: "2010-05-08", ...params }),
    credentials: "same-origin",
    cache: "no-store",
  });
  const text = await response.text();
  if (response.headers.get("content-type")?.startsWith("application/json")) {
    const error = new ApiError(response.status, JSON.parse(text));
    if (error.type === "NoSession" && onSignedOut) onSignedOut(error);
    throw error;
  }
  const document = new DOMParser().parseFromString(text, "text/xml");
  if (!response.ok) {
    const tag = (name) => document.getElementsByTagName(name)[0]?.textContent ?? "";
    throw new ApiError(response.status, { __type: tag("Code"), message: tag("Message") });
  }
  return document;
}
