// IAM groups (#/groups, #/group/NAME: members, policies), roles (#/roles,
// #/role/NAME: trust policy, policies) and customer managed policies
// (#/policies, #/policy/ARN: the default version's document).

import * as api from "./api.js";
import { h, field, select, replace, flash } from "./dom.js";
import { members, grid, iamNav, iamAction, inlinePolicies, attachedPolicies } from "./iam.js";

const TRUST_POLICY = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] };
const POLICY = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:Query"], Resource: "*" }] };

function documentArea(id, value) {
  const area = h("textarea", { id, rows: 8, spellcheck: "false" });
  area.value = JSON.stringify(value, null, 2);
  return area;
}

function text(document, tag) {
  return document.getElementsByTagName(tag)[0]?.textContent ?? "";
}

export async function groupsPage(main) {
  const groups = members(await api.iam("ListGroups", { MaxItems: "1000" }), "Groups");
  const name = h("input", { id: "iam-new-group", autocomplete: "off" });
  const create = h("form", { id: "iam-create-group-form", onsubmit: iamAction("CreateGroup", () => ({ GroupName: name.value.trim() }),
    () => { location.hash = `#/group/${encodeURIComponent(name.value.trim())}`; }) },
  h("div", { class: "row" }, field("New group name", name), h("button", { type: "submit", id: "iam-create-group" }, "Create group")));
  replace(main, h("h1", {}, "IAM groups"), iamNav("Groups"), create,
    grid("iam-groups", ["Group", "ARN", "Created"], groups.map((g) => [
      h("a", { href: `#/group/${encodeURIComponent(g.GroupName)}` }, g.GroupName), g.Arn, g.CreateDate])));
}

export async function groupPage(main, group) {
  const reload = () => groupPage(main, group);
  const [answer, users, inline, attached] = await Promise.all([
    api.iam("GetGroup", { GroupName: group }),
    api.iam("ListUsers", { MaxItems: "1000" }).then((d) => members(d, "Users")),
    inlinePolicies("Group", group, reload),
    attachedPolicies("Group", group, reload),
  ]);
  const inGroup = members(answer, "Users");
  const candidates = users.filter((u) => !inGroup.some((m) => m.UserName === u.UserName));
  const choice = select("iam-group-add-choice", candidates.map((u) => [u.UserName, u.UserName]));
  const remove = (user) => h("button", { type: "button", "aria-label": `Remove ${user} from the group`,
    onclick: iamAction("RemoveUserFromGroup", () => ({ GroupName: group, UserName: user }), reload) }, "Remove");
  const deleteGroup = h("button", { type: "button", class: "danger", id: "iam-delete-group",
    onclick: iamAction("DeleteGroup", () => ({ GroupName: group }), () => { location.hash = "#/groups"; flash(`Group ${group} deleted.`, true); }) },
  "Delete group");
  replace(main, h("h1", {}, `IAM group ${group}`), iamNav("Groups"),
    h("dl", { class: "facts" }, h("dt", {}, "ARN"), h("dd", {}, text(answer, "Arn")), h("dt", {}, "Created"), h("dd", {}, text(answer, "CreateDate"))),
    h("h2", {}, "Members"),
    grid("iam-group-members", ["User", ""], inGroup.map((u) => [h("a", { href: `#/iam/${encodeURIComponent(u.UserName)}` }, u.UserName), remove(u.UserName)])),
    candidates.length === 0 ? h("p", { class: "muted" }, "Every user is a member.") :
      h("div", { class: "row" }, field("User", choice),
        h("button", { type: "button", id: "iam-group-add", onclick: iamAction("AddUserToGroup", () => ({ GroupName: group, UserName: choice.value }), reload) },
          "Add to group")),
    attached, inline,
    h("h2", {}, "Delete"), h("p", { class: "muted" }, "IAM refuses to delete a group that has members or policies."), deleteGroup);
}

export async function rolesPage(main) {
  const roles = members(await api.iam("ListRoles", { MaxItems: "1000" }), "Roles");
  const name = h("input", { id: "iam-new-role", autocomplete: "off" });
  const trust = documentArea("iam-new-role-trust", TRUST_POLICY);
  const create = h("form", { id: "iam-create-role-form", onsubmit: iamAction("CreateRole",
    () => ({ RoleName: name.value.trim(), AssumeRolePolicyDocument: trust.value }),
    () => { location.hash = `#/role/${encodeURIComponent(name.value.trim())}`; }) },
  field("New role name", name), field("Trust policy (who may assume the role)", trust),
  h("button", { type: "submit", id: "iam-create-role" }, "Create role"));
  replace(main, h("h1", {}, "IAM roles"), iamNav("Roles"),
    grid("iam-roles", ["Role", "ARN", "Created"], roles.map((r) => [
      h("a", { href: `#/role/${encodeURIComponent(r.RoleName)}` }, r.RoleName), r.Arn, r.CreateDate])),
    h("h2", {}, "Create a role"), create);
}

export async function rolePage(main, role) {
  const reload = () => rolePage(main, role);
  const [answer, inline, attached] = await Promise.all([
    api.iam("GetRole", { RoleName: role }),
    inlinePolicies("Role", role, reload),
    attachedPolicies("Role", role, reload),
  ]);
  const deleteRole = h("button", { type: "button", class: "danger", id: "iam-delete-role",
    onclick: iamAction("DeleteRole", () => ({ RoleName: role }), () => { location.hash = "#/roles"; flash(`Role ${role} deleted.`, true); }) },
  "Delete role");
  replace(main, h("h1", {}, `IAM role ${role}`), iamNav("Roles"),
    h("dl", { class: "facts" }, h("dt", {}, "ARN"), h("dd", { id: "iam-role-arn" }, text(answer, "Arn")),
      h("dt", {}, "Created"), h("dd", {}, text(answer, "CreateDate")),
      h("dt", {}, "Trust policy"), h("dd", {}, h("pre", { id: "iam-role-trust" }, decodeURIComponent(text(answer, "AssumeRolePolicyDocument"))))),
    attached, inline,
    h("h2", {}, "Delete"), h("p", { class: "muted" }, "IAM refuses to delete a role that has policies."), deleteRole);
}

export async function policiesPage(main) {
  const policies = members(await api.iam("ListPolicies", { Scope: "Local", MaxItems: "1000" }), "Policies");
  const name = h("input", { id: "iam-new-policy", autocomplete: "off" });
  const document_ = documentArea("iam-new-policy-document", POLICY);
  const create = h("form", { id: "iam-create-policy-form", onsubmit: iamAction("CreatePolicy",
    () => ({ PolicyName: name.value.trim(), PolicyDocument: document_.value }),
    async () => { const created = name.value.trim(); await policiesPage(main); flash(`Policy ${created} created.`, true); }) },
  field("New policy name", name), field("Policy document (JSON)", document_),
  h("button", { type: "submit", id: "iam-create-policy" }, "Create policy"));
  replace(main, h("h1", {}, "Customer managed policies"), iamNav("Managed policies"),
    grid("iam-managed-policies", ["Policy", "ARN", "Attachments", "Default version"], policies.map((p) => [
      h("a", { href: `#/policy/${encodeURIComponent(p.Arn)}` }, p.PolicyName), p.Arn, p.AttachmentCount, p.DefaultVersionId])),
    h("h2", {}, "Create a policy"), create);
}

export async function policyPage(main, arn) {
  const policy = await api.iam("GetPolicy", { PolicyArn: arn });
  const version = await api.iam("GetPolicyVersion", { PolicyArn: arn, VersionId: text(policy, "DefaultVersionId") });
  const deletePolicy = h("button", { type: "button", class: "danger", id: "iam-delete-policy",
    onclick: iamAction("DeletePolicy", () => ({ PolicyArn: arn }), () => { location.hash = "#/policies"; flash("Policy deleted.", true); }) },
  "Delete policy");
  replace(main, h("h1", {}, `Managed policy ${text(policy, "PolicyName")}`), iamNav("Managed policies"),
    h("dl", { class: "facts" }, h("dt", {}, "ARN"), h("dd", {}, arn), h("dt", {}, "Attachments"), h("dd", {}, text(policy, "AttachmentCount")),
      h("dt", {}, "Default version"), h("dd", {}, text(policy, "DefaultVersionId"))),
    h("h2", {}, "Document"), h("pre", { id: "iam-policy-version-document" }, decodeURIComponent(text(version, "Document"))),
    h("h2", {}, "Delete"), h("p", { class: "muted" }, "IAM refuses to delete a policy that is attached."), deletePolicy);
}
