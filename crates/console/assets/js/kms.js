// KMS keys (#/kms): keys with their aliases, state and rotation; creating
// a key (and an alias for it); a key's page (#/kms/KEYID) to enable or
// disable it, schedule or cancel its deletion, and turn rotation on or off.
// Every call is KMS's own (TrentService.*), as the signed-in user.

import * as api from "./api.js";
import { h, field, replace, flash } from "./dom.js";

const DEFAULT_PENDING_DAYS = 30;

async function listed(operation, member) {
  const found = [];
  let marker;
  do {
    const answer = await api.kms(operation, marker ? { Marker: marker, Limit: 100 } : { Limit: 100 });
    found.push(...answer[member]);
    marker = answer.Truncated ? answer.NextMarker : undefined;
  } while (marker);
  return found;
}

function rotationText(key, rotation) {
  if (key.KeySpec !== "SYMMETRIC_DEFAULT") return "not supported";
  if (!rotation) return "";
  return rotation.KeyRotationEnabled ? `on (every ${rotation.RotationPeriodInDays ?? 365} days)` : "off";
}

async function rotationOf(key) {
  if (key.KeySpec !== "SYMMETRIC_DEFAULT" || key.KeyState === "PendingDeletion") return null;
  try { return await api.kms("GetKeyRotationStatus", { KeyId: key.KeyId }); } catch { return null; }
}

export async function kmsPage(main) {
  const [keys, aliases] = await Promise.all([listed("ListKeys", "Keys"), listed("ListAliases", "Aliases")]);
  const described = await Promise.all(keys.map((key) => api.kms("DescribeKey", { KeyId: key.KeyId }).then((d) => d.KeyMetadata)));
  const customer = described.filter((key) => key.KeyManager !== "AWS");
  const rotations = await Promise.all(customer.map(rotationOf));
  const aliasesOf = (keyId) => aliases.filter((alias) => alias.TargetKeyId === keyId).map((alias) => alias.AliasName).join(", ");

  const description = h("input", { id: "kms-description", autocomplete: "off" });
  const alias = h("input", { id: "kms-alias", autocomplete: "off", placeholder: "alias/my-key" });
  const create = h("form", { id: "kms-create-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const { KeyMetadata: key } = await api.kms("CreateKey", { Description: description.value.trim() });
      if (alias.value.trim()) await api.kms("CreateAlias", { AliasName: alias.value.trim(), TargetKeyId: key.KeyId });
      location.hash = `#/kms/${encodeURIComponent(key.KeyId)}`;
      flash(`Key ${key.KeyId} created.`, true);
    } catch (error) {
      flash(error.message);
    }
  } }, h("div", { class: "row" }, field("Description", description), field("Alias (optional)", alias),
    h("button", { type: "submit", id: "kms-create", class: "primary" }, "Create key")));

  replace(main, h("h1", {}, "KMS keys"),
    h("h2", {}, "Create a symmetric encryption key"), create,
    h("h2", {}, "Customer managed keys"),
    customer.length === 0 ? h("p", { class: "muted" }, "No keys.") :
      h("table", { class: "grid", id: "kms-keys" },
        h("thead", {}, h("tr", {}, ["Key ID", "Aliases", "State", "Description", "Rotation", "Created"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, customer.map((key, i) => h("tr", { "data-key-id": key.KeyId },
          h("td", {}, h("a", { href: `#/kms/${encodeURIComponent(key.KeyId)}` }, key.KeyId)),
          h("td", {}, aliasesOf(key.KeyId)), h("td", { class: "key-state" }, key.KeyState), h("td", {}, key.Description ?? ""),
          h("td", {}, rotationText(key, rotations[i])), h("td", {}, new Date(key.CreationDate * 1000).toISOString()))))),
    h("h2", {}, "Aliases"),
    h("table", { class: "grid", id: "kms-aliases" },
      h("thead", {}, h("tr", {}, ["Alias", "Key ID"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, aliases.map((a) => h("tr", {}, h("td", {}, a.AliasName), h("td", {}, a.TargetKeyId ?? ""))))));
}

export async function kmsKeyPage(main, keyId) {
  const { KeyMetadata: key } = await api.kms("DescribeKey", { KeyId: keyId });
  const [rotation, aliases] = await Promise.all([rotationOf(key), listed("ListAliases", "Aliases")]);
  const reload = () => kmsKeyPage(main, keyId);
  const act = (id, text, operation, body, done, className) => h("button", { type: "button", id, class: className, onclick: async () => {
    try {
      await api.kms(operation, { KeyId: key.KeyId, ...body() });
      await reload();
      flash(done, true);
    } catch (error) {
      flash(error.message);
    }
  } }, text);

  const actions = h("div", { class: "actions" });
  if (key.KeyState === "Enabled") actions.append(act("kms-disable", "Disable key", "DisableKey", () => ({}), "Key disabled."));
  if (key.KeyState === "Disabled") actions.append(act("kms-enable", "Enable key", "EnableKey", () => ({}), "Key enabled."));
  if (rotation) {
    actions.append(rotation.KeyRotationEnabled
      ? act("kms-rotation-off", "Turn automatic rotation off", "DisableKeyRotation", () => ({}), "Automatic rotation is off.")
      : act("kms-rotation-on", "Turn automatic rotation on", "EnableKeyRotation", () => ({}), "Automatic rotation is on."));
  }
  const days = h("input", { id: "kms-pending-days", type: "number", min: 7, max: 30, value: String(DEFAULT_PENDING_DAYS) });
  const deletion = key.KeyState === "PendingDeletion"
    ? h("div", { class: "actions" }, act("kms-cancel-deletion", "Cancel deletion", "CancelKeyDeletion", () => ({}), "Deletion cancelled; the key is disabled."))
    : h("div", { class: "row" }, field("Waiting period (days, 7–30)", days),
      act("kms-schedule-deletion", "Schedule deletion", "ScheduleKeyDeletion", () => ({ PendingWindowInDays: Number(days.value) }),
        "Deletion scheduled.", "danger"));
  const when = (seconds) => (seconds ? new Date(seconds * 1000).toISOString() : undefined);
  const facts = [["Key ID", key.KeyId], ["ARN", key.Arn], ["State", h("span", { id: "kms-key-state" }, key.KeyState)],
    ["Description", key.Description || "—"], ["Aliases", aliases.filter((a) => a.TargetKeyId === key.KeyId).map((a) => a.AliasName).join(", ") || "none"],
    ["Key spec", key.KeySpec], ["Usage", key.KeyUsage], ["Origin", key.Origin],
    ["Rotation", h("span", { id: "kms-rotation" }, rotationText(key, rotation))],
    ["Created", when(key.CreationDate)], ["Deletion date", when(key.DeletionDate)]];
  replace(main, h("h1", {}, `KMS key ${key.KeyId}`), h("p", {}, h("a", { href: "#/kms" }, "All keys")),
    h("dl", { class: "facts" }, facts.filter(([, v]) => v !== undefined).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    key.KeyManager === "AWS" ? h("p", { class: "muted" }, "An AWS managed key: it cannot be changed.") :
      [h("h2", {}, "Actions"), actions, h("h2", {}, "Deletion"), deletion]);
}
