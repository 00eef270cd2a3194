"""The IAM query API (form-encoded requests, XML answers) on Halyard's
endpoint, with boto3's `iam` client and the AWS CLI, signed with the root
credentials the harness starts the server with: users, access keys, groups,
inline and managed policies, roles and tags, with IAM's shapes, pagination
and error codes, statuses and texts."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import CREDENTIALS, REGION, aws

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TRUST_ROOT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                   "Action": "sts:AssumeRole"}],
}


def iam_client(server, access_key_id=None, secret=None):
    credentials = CREDENTIALS if access_key_id is None else {
        "aws_access_key_id": access_key_id, "aws_secret_access_key": secret}
    return boto3.client("iam", endpoint_url=server.endpoint, region_name=REGION,
                        config=Config(retries={"max_attempts": 1}), **credentials)


def dynamodb_client(server, access_key_id, secret):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                        config=Config(retries={"max_attempts": 1}),
                        aws_access_key_id=access_key_id, aws_secret_access_key=secret)


@pytest.fixture
def iam(server):
    return iam_client(server)


@pytest.fixture
def name():
    """A prefix unique to the test, for entity names in the shared server."""
    return f"t{uuid.uuid4().hex[:10]}"


def policy_of_size(size):
    """An indented policy of `size` characters other than whitespace."""
    def document(padding):
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "dynamodb:GetItem",
            "Resource": "arn:aws:dynamodb:us-east-1:000000000000:table/" + "x" * padding}]}, indent=4)
    base = len("".join(document(0).split()))
    return document(size - base)


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_users_are_created_read_listed_by_page_and_path_and_deleted(iam, name):
    created = iam.create_user(UserName=f"{name}-a", Path=f"/{name}/", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::000000000000:user/{name}/{name}-a"
    assert created["UserId"].startswith("AIDA") and created["Path"] == f"/{name}/"
    assert created["Tags"] == [{"Key": "team", "Value": "blue"}]
    got = iam.get_user(UserName=f"{name}-a")["User"]
    assert {k: got[k] for k in ("UserName", "UserId", "Arn", "CreateDate")} == \
        {k: created[k] for k in ("UserName", "UserId", "Arn", "CreateDate")}

    assert error_of(iam.create_user, UserName=f"{name}-A") == (
        409, "EntityAlreadyExists", f"User with name {name}-A already exists.")
    assert error_of(iam.get_user, UserName=f"{name}-nobody") == (
        404, "NoSuchEntity", f"The user with name {name}-nobody cannot be found.")

    # A permissions boundary Halyard would not enforce is refused, not ignored.
    status, code, _ = error_of(iam.create_user, UserName=f"{name}-pb",
                               PermissionsBoundary="arn:aws:iam::000000000000:policy/boundary")
    assert (status, code) == (400, "InvalidInput")

    for suffix in "bcde":
        iam.create_user(UserName=f"{name}-{suffix}", Path=f"/{name}/")
    first = iam.list_users(PathPrefix=f"/{name}/", MaxItems=2)
    assert [u["UserName"] for u in first["Users"]] == [f"{name}-a", f"{name}-b"]
    assert first["IsTruncated"] is True and first["Marker"]
    rest = iam.list_users(PathPrefix=f"/{name}/", Marker=first["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == [f"{name}-c", f"{name}-d", f"{name}-e"]
    assert rest["IsTruncated"] is False and "Marker" not in rest
    # boto3's paginator follows the markers.
    pages = iam.get_paginator("list_users").paginate(PathPrefix=f"/{name}/", PaginationConfig={"PageSize": 2})
    assert [u["UserName"] for page in pages for u in page["Users"]] == [f"{name}-{s}" for s in "abcde"]

    for suffix in "abcde":
        iam.delete_user(UserName=f"{name}-{suffix}")
    assert iam.list_users(PathPrefix=f"/{name}/")["Users"] == []


def test_access_keys_authenticate_until_deactivated_and_are_capped_at_two(server, iam, name):
    user = f"{name}-keys"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="self", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": f"arn:aws:iam::000000000000:user/{user}"}],
    }))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    assert key["UserName"] == user and key["Status"] == "Active"
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40

    as_user = iam_client(server, key["AccessKeyId"], key["SecretAccessKey"])
    assert as_user.get_user()["User"]["UserName"] == user

    second = iam.create_access_key(UserName=user)["AccessKey"]
    assert error_of(iam.create_access_key, UserName=user) == (
        409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
    listed = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([key["AccessKeyId"], second["AccessKeyId"]])
    assert all("SecretAccessKey" not in k for k in listed)

    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}[
        key["AccessKeyId"]] == "Inactive"
    # An inactive key authenticates nothing, for any service.
    status, code, _ = error_of(dynamodb_client(server, key["AccessKeyId"], key["SecretAccessKey"]).list_tables)
    assert (status, code) == (400, "UnrecognizedClientException")
    with pytest.raises(ClientError):
        as_user.get_user()
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Active")
    assert as_user.get_user()["User"]["UserName"] == user

    iam.delete_user_policy(UserName=user, PolicyName="self")
    assert error_of(iam.delete_user, UserName=user) == (
        409, "DeleteConflict", "Cannot delete entity, must delete access keys first.")
    assert error_of(iam.delete_access_key, UserName=user, AccessKeyId="AKIAAAAAAAAAAAAAAAAA") == (
        404, "NoSuchEntity", "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.")
    for k in (key, second):
        iam.delete_access_key(UserName=user, AccessKeyId=k["AccessKeyId"])
    iam.delete_user(UserName=user)


@pytest.mark.parametrize("kind,limit", [("user", 2048), ("group", 5120), ("role", 10240)])
def test_inline_policies_round_trip_and_are_capped_together(iam, name, kind, limit):
    entity = f"{name}-{kind}"
    title = kind.capitalize()
    if kind == "role":
        iam.create_role(RoleName=entity, AssumeRolePolicyDocument=json.dumps(TRUST_ROOT))
    else:
        getattr(iam, f"create_{kind}")(**{f"{title}Name": entity})
    key = {f"{title}Name": entity}
    put = getattr(iam, f"put_{kind}_policy")
    get = getattr(iam, f"get_{kind}_policy")
    put(**key, PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    got = get(**key, PolicyName="all")
    # IAM answers the document URL-encoded; botocore decodes it into a dict.
    assert got["PolicyDocument"] == ALLOW_ALL and got["PolicyName"] == "all" and got[f"{title}Name"] == entity
    assert getattr(iam, f"list_{kind}_policies")(**key)["PolicyNames"] == ["all"]

    too_big = (409, "LimitExceeded", f"Maximum policy size of {limit} bytes exceeded for {kind} {entity}")
    # Whitespace does not count: an indented document of exactly the quota
    # fits, replacing the first (a replaced policy no longer counts)...
    put(**key, PolicyName="all", PolicyDocument=policy_of_size(limit))
    assert get(**key, PolicyName="all")["PolicyDocument"] == json.loads(policy_of_size(limit))
    # ...and nothing more fits beside it.
    assert error_of(put, **key, PolicyName="more", PolicyDocument=json.dumps(ALLOW_ALL)) == too_big
    getattr(iam, f"delete_{kind}_policy")(**key, PolicyName="all")
    assert error_of(put, **key, PolicyName="all", PolicyDocument=policy_of_size(limit + 1)) == too_big
    put(**key, PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))

    status, code, _ = error_of(put, **key, PolicyName="bad", PolicyDocument='{"Statement": []')
    assert (status, code) == (400, "MalformedPolicyDocument")
    delete = getattr(iam, f"delete_{kind}")
    assert error_of(delete, **key) == (409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
    getattr(iam, f"delete_{kind}_policy")(**key, PolicyName="all")
    assert error_of(get, **key, PolicyName="all") == (
        404, "NoSuchEntity", f"The {kind} policy with name all cannot be found.")
    delete(**key)


def test_groups_members_and_what_blocks_deleting_them(iam, name):
    user, group = f"{name}-u", f"{name}-g"
    iam.create_user(UserName=user)
    created = iam.create_group(GroupName=group, Path="/ops/")["Group"]
    assert created["Arn"] == f"arn:aws:iam::000000000000:group/ops/{group}" and created["GroupId"].startswith("AGPA")
    assert error_of(iam.create_group, GroupName=group) == (
        409, "EntityAlreadyExists", f"Group with name {group} already exists.")
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    got = iam.get_group(GroupName=group)
    assert got["Group"]["GroupName"] == group and [u["UserName"] for u in got["Users"]] == [user]
    assert group in [g["GroupName"] for g in iam.list_groups(PathPrefix="/ops/")["Groups"]]
    assert error_of(iam.add_user_to_group, GroupName=f"{name}-none", UserName=user) == (
        404, "NoSuchEntity", f"The group with name {name}-none cannot be found.")
    assert error_of(iam.add_user_to_group, GroupName=group, UserName=f"{name}-none") == (
        404, "NoSuchEntity", f"The user with name {name}-none cannot be found.")
    conflict = (409, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
    assert error_of(iam.delete_group, GroupName=group) == conflict
    assert error_of(iam.delete_user, UserName=user) == conflict
    iam.remove_user_from_group(GroupName=group, UserName=user)
    assert iam.list_groups_for_user(UserName=user)["Groups"] == []
    iam.delete_group(GroupName=group)
    iam.delete_user(UserName=user)


def test_managed_policies_attach_count_and_refuse_deletion_while_attached(iam, name):
    policy_name = f"{name}-p"
    policy = iam.create_policy(PolicyName=policy_name, Path="/app/", Description="everything",
                               PolicyDocument=json.dumps(ALLOW_ALL))["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::000000000000:policy/app/{policy_name}"
    assert policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0 and policy["IsAttachable"] is True
    assert error_of(iam.create_policy, PolicyName=policy_name, PolicyDocument=json.dumps(ALLOW_ALL)) == (
        409, "EntityAlreadyExists", f"A policy called {policy_name} already exists. Duplicate names are not allowed.")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Description"] == "everything"
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == ALLOW_ALL and version["IsDefaultVersion"] is True
    assert error_of(iam.get_policy, PolicyArn=arn + "x") == (404, "NoSuchEntity", f"Policy {arn}x was not found.")
    # 6144 characters other than whitespace, and not one more.
    iam.delete_policy(PolicyArn=iam.create_policy(PolicyName=f"{name}-max",
                                                  PolicyDocument=policy_of_size(6144))["Policy"]["Arn"])
    assert error_of(iam.create_policy, PolicyName=f"{name}-over", PolicyDocument=policy_of_size(6145)) == (
        409, "LimitExceeded", "Cannot exceed quota for PolicySize: 6144")

    user, group, role = f"{name}-u", f"{name}-g", f"{name}-r"
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST_ROOT))
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    expected = [{"PolicyName": policy_name, "PolicyArn": arn}]
    assert iam.list_attached_user_policies(UserName=user)["AttachedPolicies"] == expected
    assert iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"] == expected
    assert iam.list_attached_role_policies(RoleName=role, PathPrefix="/app/")["AttachedPolicies"] == expected
    assert iam.list_attached_role_policies(RoleName=role, PathPrefix="/other/")["AttachedPolicies"] == []
    listed = iam.list_policies(Scope="Local", OnlyAttached=True, PathPrefix="/app/")["Policies"]
    assert [p["Arn"] for p in listed] == [arn] and "Description" not in listed[0]
    assert iam.list_policies(Scope="AWS", PathPrefix="/app/")["Policies"] == []

    assert error_of(iam.delete_policy, PolicyArn=arn) == (
        409, "DeleteConflict", "Cannot delete a policy attached to entities.")
    assert error_of(iam.delete_role, RoleName=role) == (
        409, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
    missing = "arn:aws:iam::000000000000:policy/nothing-here"
    assert error_of(iam.attach_user_policy, UserName=user, PolicyArn=missing) == (
        404, "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.")
    assert error_of(iam.attach_user_policy, UserName=user, PolicyArn="not-an-arn-at-all-xyz") == (
        400, "InvalidInput", "ARN not-an-arn-at-all-xyz is not valid.")

    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    assert error_of(iam.detach_role_policy, RoleName=role, PolicyArn=arn) == (
        404, "NoSuchEntity", f"Policy {arn} was not found.")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    iam.delete_policy(PolicyArn=arn)
    iam.delete_user(UserName=user)
    iam.delete_group(GroupName=group)
    iam.delete_role(RoleName=role)


def test_roles_keep_their_trust_policy_description_and_tags(iam, name):
    role = f"{name}-role"
    created = iam.create_role(RoleName=role, Path="/svc/", Description="reads tables", MaxSessionDuration=7200,
                              AssumeRolePolicyDocument=json.dumps(TRUST_ROOT),
                              Tags=[{"Key": "team", "Value": "a"}])["Role"]
    assert created["Arn"] == f"arn:aws:iam::000000000000:role/svc/{role}" and created["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName=role)["Role"]
    assert got["AssumeRolePolicyDocument"] == TRUST_ROOT
    assert (got["Description"], got["MaxSessionDuration"]) == ("reads tables", 7200)
    assert role in [r["RoleName"] for r in iam.list_roles(PathPrefix="/svc/")["Roles"]]
    assert error_of(iam.create_role, RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST_ROOT)) == (
        409, "EntityAlreadyExists", f"Role with name {role} already exists.")
    # A trust policy names a Principal; an identity policy is not one.
    status, code, _ = error_of(iam.create_role, RoleName=f"{name}-bad", AssumeRolePolicyDocument=json.dumps(ALLOW_ALL))
    assert (status, code) == (400, "MalformedPolicyDocument")

    iam.tag_role(RoleName=role, Tags=[{"Key": "TEAM", "Value": "b"}, {"Key": "env", "Value": "test"}])
    assert iam.list_role_tags(RoleName=role)["Tags"] == [{"Key": "team", "Value": "b"}, {"Key": "env", "Value": "test"}]
    iam.untag_role(RoleName=role, TagKeys=["env"])
    assert iam.get_role(RoleName=role)["Role"]["Tags"] == [{"Key": "team", "Value": "b"}]

    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(ALLOW_ALL))
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["p"]
    assert error_of(iam.delete_role, RoleName=role) == (
        409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
    iam.delete_role_policy(RoleName=role, PolicyName="p")
    iam.delete_role(RoleName=role)
    assert error_of(iam.get_role, RoleName=role) == (404, "NoSuchEntity", f"The role with name {role} cannot be found.")


def test_user_tags(iam, name):
    user = f"{name}-tagged"
    iam.create_user(UserName=user)
    iam.tag_user(UserName=user, Tags=[{"Key": "dept", "Value": "hr"}, {"Key": "level", "Value": "2"}])
    assert iam.list_user_tags(UserName=user)["Tags"] == [{"Key": "dept", "Value": "hr"}, {"Key": "level", "Value": "2"}]
    status, code, _ = error_of(iam.tag_user, UserName=user, Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    assert (status, code) == (400, "InvalidInput")
    assert error_of(iam.tag_user, UserName=user, Tags=[{"Key": "a*b", "Value": "1"}]) == (
        400, "ValidationError", "1 validation error detected: Value 'a*b' at 'tags.1.member.key' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+")
    iam.untag_user(UserName=user, TagKeys=["dept", "absent"])
    assert iam.get_user(UserName=user)["User"]["Tags"] == [{"Key": "level", "Value": "2"}]
    iam.delete_user(UserName=user)


def test_a_user_is_allowed_exactly_its_iam_actions(server, iam, name):
    user = f"{name}-ro"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers"], "Resource": "*"}],
    }))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = iam_client(server, key["AccessKeyId"], key["SecretAccessKey"])
    assert user in [u["UserName"] for u in as_user.list_users()["Users"]]
    status, code, message = error_of(as_user.create_user, UserName=f"{name}-eve")
    assert (status, code) == (403, "AccessDenied")
    assert f"arn:aws:iam::000000000000:user/{user}" in message and "iam:CreateUser" in message
    # Refused before it is told whether the user exists.
    assert error_of(as_user.delete_user, UserName=f"{name}-nobody")[:2] == (403, "AccessDenied")
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=user, PolicyName="read")
    iam.delete_user(UserName=user)


def aws_iam(server, *args, check=True):
    """`aws iam ARGS...` as the root: the parsed JSON output, or (check=False)
    the CompletedProcess."""
    result = aws(server, *args, check=check, service="iam")
    return json.loads(result.stdout or "{}") if check else result


def test_the_aws_cli_manages_users_policies_and_keys(server, name, tmp_path):
    user = f"{name}-cli"
    assert aws_iam(server, "create-user", "--user-name", user)["User"]["UserName"] == user
    document = tmp_path / "policy.json"
    document.write_text(json.dumps(ALLOW_ALL, indent=2))
    aws_iam(server, "put-user-policy", "--user-name", user, "--policy-name", "all",
            "--policy-document", f"file://{document}")
    assert aws_iam(server, "get-user-policy", "--user-name", user, "--policy-name", "all")["PolicyDocument"] == ALLOW_ALL
    policy = aws_iam(server, "create-policy", "--policy-name", f"{name}-cli-p",
                     "--policy-document", f"file://{document}")["Policy"]
    aws_iam(server, "attach-user-policy", "--user-name", user, "--policy-arn", policy["Arn"])
    attached = aws_iam(server, "list-attached-user-policies", "--user-name", user)["AttachedPolicies"]
    assert attached == [{"PolicyName": f"{name}-cli-p", "PolicyArn": policy["Arn"]}]
    key = aws_iam(server, "create-access-key", "--user-name", user)["AccessKey"]
    assert key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40
    # The CLI pages through list-users with --max-items on its own.
    users = aws_iam(server, "list-users", "--page-size", "1")["Users"]
    assert user in [u["UserName"] for u in users]

    failed = aws_iam(server, "delete-user", "--user-name", user, check=False)
    assert failed.returncode != 0
    assert "(DeleteConflict)" in failed.stderr and "must delete access keys first." in failed.stderr
    failed = aws_iam(server, "get-user", "--user-name", f"{name}-nobody", check=False)
    assert "(NoSuchEntity)" in failed.stderr and f"The user with name {name}-nobody cannot be found." in failed.stderr

    aws_iam(server, "delete-access-key", "--user-name", user, "--access-key-id", key["AccessKeyId"])
    aws_iam(server, "detach-user-policy", "--user-name", user, "--policy-arn", policy["Arn"])
    aws_iam(server, "delete-policy", "--policy-arn", policy["Arn"])
    aws_iam(server, "delete-user-policy", "--user-name", user, "--policy-name", "all")
    aws_iam(server, "delete-user", "--user-name", user)
    assert user not in [u["UserName"] for u in aws_iam(server, "list-users")["Users"]]


def test_concurrent_creates_of_one_name_admit_exactly_one(server, name):
    """The name check runs on the writer, in order: of simultaneous
    CreateUser requests for one name (in any case), exactly one succeeds."""
    clients = [iam_client(server) for _ in range(8)]

    def create(n):
        try:
            clients[n].create_user(UserName=f"{name}-Race" if n % 2 else f"{name}-race")
            return "created"
        except ClientError as error:
            return error.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(create, range(8)))
    assert sorted(outcomes) == ["EntityAlreadyExists"] * 7 + ["created"], outcomes
    iam_client(server).delete_user(UserName=f"{name}-race")


def test_identities_keys_and_policies_survive_a_restart(fresh_server):
    server = fresh_server.start()
    iam = iam_client(server)
    iam.create_user(UserName="keeper", Tags=[{"Key": "k", "Value": "v"}])
    iam.put_user_policy(UserName="keeper", PolicyName="self", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::000000000000:user/keeper"}],
    }))
    arn = iam.create_policy(PolicyName="kept", PolicyDocument=json.dumps(ALLOW_ALL))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="keeper", PolicyArn=arn)
    key = iam.create_access_key(UserName="keeper")["AccessKey"]
    server.stop()
    server.start()
    iam = iam_client(server)
    assert iam.get_user(UserName="keeper")["User"]["Tags"] == [{"Key": "k", "Value": "v"}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert iam.list_user_policies(UserName="keeper")["PolicyNames"] == ["self"]
    as_keeper = iam_client(server, key["AccessKeyId"], key["SecretAccessKey"])
    assert as_keeper.get_user()["User"]["UserName"] == "keeper"
